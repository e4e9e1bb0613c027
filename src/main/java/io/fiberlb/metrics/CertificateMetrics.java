package io.fiberlb.metrics;

import io.fiberlb.controlplane.certificate.CertificateKeyStore;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code fiberlb_certificate_not_after_seconds}: when each stored certificate expires (Unix seconds), read from the
 * key store at each scrape, so that an alert ({@code fiberlb_certificate_not_after_seconds - time() < 14 * 86400})
 * warns before a listener serves an expired certificate. The key store is the cluster's (one database), so every
 * node reports every certificate; a certificate deleted is gone from the next scrape.
 */
public final class CertificateMetrics {
  private static final Logger log = LoggerFactory.getLogger(CertificateMetrics.class);
  static final String NAME = "fiberlb_certificate_not_after_seconds";

  private CertificateMetrics() {}

  public static void register(PrometheusRegistry registry, CertificateKeyStore store) {
    registry.register(new Collector() {
      @Override
      public MetricSnapshot collect() {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(NAME)
            .help("When the certificate's leaf expires (not_after), in Unix seconds; one series per certificate.");
        try {
          for (var e : store.expiries()) {
            b.dataPoint(GaugeDataPointSnapshot.builder().value(e.notAfter().getEpochSecond())
                .labels(Labels.of("certificate_id", e.certificateId(), "name", e.name(), "org", e.orgId(),
                    "project", e.projectId())).build());
          }
        } catch (RuntimeException e) {
          log.warn("{}: not reported this scrape: {}", NAME, e.getMessage());
        }
        return b.build();
      }

      @Override
      public String getPrometheusName() {
        return NAME;
      }
    });
  }
}
