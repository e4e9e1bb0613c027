package io.fiberlb.controlplane.certificate;

import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * A node's certificate key store, one per actor system: made at start from {@code fiberlb.certificates} and the
 * journal's database settings (refusing to start without a usable key-encryption key, or with another one than the
 * stored keys were sealed under), closed when the system stops. The data plane reads it as a
 * {@link io.fiberlb.port.CertificateSource}.
 */
public final class Certificates implements Extension {
  private final CertificateKeyStore store;

  private Certificates(ActorSystem<?> system) {
    Config config = system.settings().config();
    KeyEncryption kek = KeyEncryption.from(config);
    this.store = new CertificateKeyStore(config.getString("fiberlb.database.url"),
        config.getString("fiberlb.database.user"), config.getString("fiberlb.database.password"), kek);
    store.checkKek();
    system.getWhenTerminated().thenRun(store::close);
  }

  public static Certificates get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public CertificateKeyStore store() {
    return store;
  }

  static final class Id extends ExtensionId<Certificates> {
    static final Id INSTANCE = new Id();

    @Override
    public Certificates createExtension(ActorSystem<?> system) {
      return new Certificates(system);
    }
  }
}
