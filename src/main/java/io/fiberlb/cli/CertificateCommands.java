package io.fiberlb.cli;

import com.google.protobuf.ByteString;
import io.fiberlb.api.v1.Certificate;
import io.fiberlb.api.v1.CertificateServiceClient;
import io.fiberlb.api.v1.CreateCertificateRequest;
import io.fiberlb.api.v1.DeleteCertificateRequest;
import io.fiberlb.api.v1.DeleteCertificateResponse;
import io.fiberlb.api.v1.GetCertificateRequest;
import io.fiberlb.api.v1.ListCertificatesRequest;
import io.fiberlb.api.v1.UpdateCertificateRequest;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fiberlb certificate ...}: certificates for TERMINATED_HTTPS listeners (Octavia/Barbican's TLS containers),
 * read from PEM files. The server checks them and stores the key encrypted; no answer ever shows a key.
 */
@Command(name = "certificate",
    description = {
        "Manage certificates for TERMINATED_HTTPS listeners: a PEM chain (leaf first) and its private key, or a CA"
            + " bundle to check client certificates against. The server refuses an expired or not yet valid"
            + " leaf, a chain out of order and a key that is not the leaf's; it stores the key encrypted (never in"
            + " the journal) and deletes it with the certificate. update with new files rotates it: listeners"
            + " serve the new one from their next handshake."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  fiberlb certificate create --name web --certificate-file chain.pem --private-key-file key.pem",
        "  fiberlb certificate create --name clients --ca-file client-ca.pem",
        "  fiberlb certificate list",
        "  fiberlb certificate update web --certificate-file new-chain.pem --private-key-file new-key.pem",
        "  fiberlb certificate delete web"})
final class CertificateCommands extends ResourceCommands<CertificateServiceClient> {
  CertificateCommands() {
    super("certificate", CertificateServiceClient::create, Certificate.getDescriptor());
  }

  private static final String REF = "Id or name of the certificate (names are unique in the project).";

  /** The files of a create or rotation. */
  static final class PemFiles {
    @Option(names = "--certificate-file", order = 12, paramLabel = "FILE",
        description = "PEM certificate chain: the leaf first, then each issuer.")
    Path certificateFile;

    @Option(names = "--private-key-file", order = 13, paramLabel = "FILE",
        description = "PEM private key of the leaf, unencrypted: PKCS#8, or traditional RSA or EC.")
    Path privateKeyFile;

    @Option(names = "--ca-file", order = 14, paramLabel = "FILE",
        description = "PEM CA certificates (a CA bundle, no key) that client certificates must chain to;"
            + " instead of --certificate-file and --private-key-file.")
    Path caFile;

    boolean any() {
      return certificateFile != null || privateKeyFile != null || caFile != null;
    }

    void check() {
      if (caFile != null && (certificateFile != null || privateKeyFile != null)) {
        throw new Flags.UsageException("--ca-file: a CA bundle has no key; give it alone, without"
            + " --certificate-file and --private-key-file");
      }
      if (caFile == null && (certificateFile == null || privateKeyFile == null)) {
        throw new Flags.UsageException("--certificate-file and --private-key-file: both are required (or --ca-file"
            + " for a CA bundle)");
      }
    }

    ByteString chain() {
      return read(caFile != null ? caFile : certificateFile, caFile != null ? "--ca-file" : "--certificate-file");
    }

    ByteString key() {
      return privateKeyFile == null ? ByteString.EMPTY : read(privateKeyFile, "--private-key-file");
    }

    private static ByteString read(Path file, String flag) {
      try {
        return ByteString.copyFrom(java.nio.file.Files.readAllBytes(file));
      } catch (IOException e) {
        throw new Flags.UsageException(flag + ": cannot read " + file + " (" + e.getMessage() + ")");
      }
    }
  }

  @Command(name = "create", description = "Store a certificate and its key (or a CA bundle) in the project.")
  int create(@Option(names = "--name", order = 10, required = true, paramLabel = "NAME",
          description = "Name, unique in the project, at most 255 characters.") String name,
      @Option(names = "--description", order = 11, paramLabel = "TEXT", description = "At most 255 characters.")
          String description,
      @Mixin PemFiles files, @Mixin DryRunFlag dryRun) {
    files.check();
    var request = CreateCertificateRequest.newBuilder().setName(name)
        .setDescription(description == null ? "" : description)
        .setType(files.caFile != null ? Certificate.Type.CA_BUNDLE : Certificate.Type.SERVER)
        .setCertificatePem(files.chain()).setPrivateKeyPem(files.key()).setValidateOnly(dryRun.dryRun).build();
    return showWritten(call(request, CertificateServiceClient::createCertificate));
  }

  @Command(name = "get", description = "Show one certificate: subject, SANs, validity, status, fingerprint.")
  int get(@Parameters(paramLabel = "CERTIFICATE", description = REF) String ref) {
    return show(call(GetCertificateRequest.newBuilder().setId(id(ref)).build(),
        CertificateServiceClient::getCertificate));
  }

  @Command(name = "list", description = "List the project's certificates, in creation order.")
  int list() {
    cli.output().list(call(ListCertificatesRequest.getDefaultInstance(), CertificateServiceClient::listCertificates),
        columns());
    return 0;
  }

  @Command(name = "update", description = "Rename a certificate, or rotate it with new files (same id; listeners"
      + " serve the new one from their next handshake).")
  int update(@Parameters(paramLabel = "CERTIFICATE", description = REF) String ref,
      @Option(names = "--name", order = 10, paramLabel = "NAME", description = "New name.") String name,
      @Option(names = "--description", order = 11, paramLabel = "TEXT", description = "New description.")
          String description,
      @Mixin PemFiles files, @Mixin DryRunFlag dryRun) {
    if (files.any()) files.check();
    if (name == null && description == null && !files.any()) {
      throw new Flags.UsageException("nothing to change: give --name, --description or new files (see --help)");
    }
    var b = UpdateCertificateRequest.newBuilder().setId(id(ref)).setValidateOnly(dryRun.dryRun);
    if (name != null) b.setName(name);
    if (description != null) b.setDescription(description);
    if (files.any()) b.setCertificatePem(files.chain()).setPrivateKeyPem(files.key());
    return showWritten(call(b.build(), CertificateServiceClient::updateCertificate));
  }

  @Command(name = "delete", description = "Delete a certificate and its stored key for good.")
  int delete(@Parameters(paramLabel = "CERTIFICATE", description = REF) String ref, @Mixin DryRunFlag dryRun) {
    String id = id(ref);
    DeleteCertificateResponse reply = call(DeleteCertificateRequest.newBuilder().setId(id)
        .setValidateOnly(dryRun.dryRun).build(), CertificateServiceClient::deleteCertificate);
    var out = cli.spec.commandLine().getOut();
    if (cli.outputOptions.format() != OutputOptions.Format.TABLE) return show(reply);
    out.print(reply.hasDryRun() ? DryRunOutput.text(reply.getDryRun()) : "deleted certificate " + id + "\n");
    out.flush();
    return 0;
  }

  /** An id as it is; a name looked up in the project's list (exact, else in another case). */
  private String id(String ref) {
    if (Names.isId(ref)) return ref.trim();
    List<Certificate> all = call(ListCertificatesRequest.getDefaultInstance(),
        CertificateServiceClient::listCertificates).getCertificatesList();
    List<Certificate> matches = all.stream().filter(c -> c.getName().equals(ref)).toList();
    if (matches.isEmpty()) matches = all.stream().filter(c -> c.getName().equalsIgnoreCase(ref)).toList();
    if (matches.isEmpty()) {
      throw new Api.CallFailed(Status.NOT_FOUND.withDescription("no certificate named '" + ref + "' in the project"
          + " (give its id, or a name that 'fiberlb certificate list' shows)"), cli.api().server());
    }
    if (matches.size() > 1) {
      throw new Api.CallFailed(Status.FAILED_PRECONDITION.withDescription(matches.size() + " certificates are named '"
          + ref + "' (in some case); give the id of one:\n" + matches.stream()
              .map(c -> "  " + c.getId() + "  " + c.getName()).collect(Collectors.joining("\n"))),
          cli.api().server());
    }
    return matches.get(0).getId();
  }
}
