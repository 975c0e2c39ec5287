// SPDX-License-Identifier: MIT
// Helpers of the TLS tests: certificates made at test time with OpenSSL's API (nothing
// checked in that could expire), written as PEM files into a temporary folder, and a
// loopback pair of connected TCP streams.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <sockit/tls.hpp>

#include "support.hpp"

namespace sockit_test {

/// A key and its certificate, with the PEM files that hold them.
struct Credential {
    std::shared_ptr<EVP_PKEY> key;
    std::shared_ptr<X509> cert;
    std::string cert_file;
    std::string key_file;
};

/// What a certificate says about itself.
struct CertSpec {
    std::string common_name;
    std::vector<std::string> dns_names; // subjectAltName DNS entries
    std::vector<std::string> ips;       // subjectAltName IP entries
    long not_before_s = -3600;          // relative to now
    long not_after_s = 7 * 24 * 3600;
    bool ca = false;
    bool client = false; // extendedKeyUsage clientAuth (else serverAuth)
};

inline void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("making test certificates: ") + what);
}

inline std::shared_ptr<EVP_PKEY> new_key() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    require(key != nullptr, "EVP_EC_gen");
    return {key, EVP_PKEY_free};
}

inline void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    require(ext != nullptr, value.c_str());
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/// A certificate for `spec`, signed by `issuer` (self-signed when null).
inline Credential make_credential(const CertSpec& spec, const Credential* issuer) {
    Credential out;
    out.key = new_key();
    out.cert = std::shared_ptr<X509>(X509_new(), X509_free);
    X509* cert = out.cert.get();
    static long serial = 1;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), spec.not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(cert), spec.not_after_s);
    X509_set_pubkey(cert, out.key.get());
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sockit tests"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1, -1, 0);
    X509* signer = issuer != nullptr ? issuer->cert.get() : cert;
    X509_set_issuer_name(cert, X509_get_subject_name(signer));
    if (spec.ca) {
        add_extension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert, signer, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
    }
    add_extension(cert, signer, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) add_extension(cert, signer, NID_authority_key_identifier, "keyid");
    std::string san;
    for (const auto& d : spec.dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
    for (const auto& ip : spec.ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
    if (!san.empty()) add_extension(cert, signer, NID_subject_alt_name, san);
    EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
    require(X509_sign(cert, signing_key, EVP_sha256()) > 0, "X509_sign");
    return out;
}

/// `cert`'s PEM text.
inline std::string pem_of(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    require(static_cast<bool>(out), path.c_str());
}

inline void save(Credential& c, const std::string& dir, const std::string& name) {
    c.cert_file = dir + "/" + name + ".pem";
    c.key_file = dir + "/" + name + ".key";
    write_file(c.cert_file, pem_of(c.cert.get()));
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, c.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    write_file(c.key_file, std::string(data, static_cast<std::size_t>(size)));
    BIO_free(bio);
}

/// Every certificate the tests use, made once per test process in a temporary folder.
struct Pki {
    std::string dir;
    Credential ca;        // the test CA
    Credential other_ca;  // a CA nobody trusts
    Credential localhost; // localhost, 127.0.0.1, ::1 (signed by ca)
    Credential other;     // other.example (signed by ca)
    Credential self;      // localhost, 127.0.0.1, self-signed
    Credential expired;   // localhost, 127.0.0.1, expired yesterday (signed by ca)
    Credential ip_in_cn;  // CN=127.0.0.1 and no subjectAltName (signed by ca)
    Credential untrusted; // localhost, signed by other_ca
    Credential client;    // a client certificate (signed by ca)
    Credential stranger;  // a client certificate signed by other_ca
    std::string ca_pem;

    Pki() {
        char path[] = "/tmp/sockit-tls-XXXXXX";
        require(::mkdtemp(path) != nullptr, "mkdtemp");
        dir = path;
        ca = make_credential({"sockit test CA", {}, {}, -3600, 7 * 24 * 3600, true, false}, nullptr);
        other_ca = make_credential({"another CA", {}, {}, -3600, 7 * 24 * 3600, true, false}, nullptr);
        localhost = make_credential({"localhost", {"localhost"}, {"127.0.0.1", "::1"}}, &ca);
        other = make_credential({"other.example", {"other.example"}, {}}, &ca);
        self = make_credential({"localhost", {"localhost"}, {"127.0.0.1"}}, nullptr);
        expired = make_credential({"localhost", {"localhost"}, {"127.0.0.1"}, -3 * 24 * 3600, -24 * 3600}, &ca);
        ip_in_cn = make_credential({"127.0.0.1", {}, {}}, &ca);
        untrusted = make_credential({"localhost", {"localhost"}, {"127.0.0.1"}}, &other_ca);
        CertSpec client_spec{"sockit test client", {}, {}};
        client_spec.client = true;
        client = make_credential(client_spec, &ca);
        stranger = make_credential(client_spec, &other_ca);
        save(ca, dir, "ca");
        save(other_ca, dir, "other_ca");
        save(localhost, dir, "localhost");
        save(other, dir, "other");
        save(self, dir, "self");
        save(expired, dir, "expired");
        save(ip_in_cn, dir, "ip_in_cn");
        save(untrusted, dir, "untrusted");
        save(client, dir, "client");
        save(stranger, dir, "stranger");
        ca_pem = pem_of(ca.cert.get());
    }
    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;
    ~Pki() {
        const std::string command = "rm -rf '" + dir + "'";
        if (std::system(command.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
    }
};

/// The test process's certificates.
inline const Pki& pki() {
    static const Pki instance;
    return instance;
}

/// A client context trusting the test CA.
inline sockit::TlsContext client_context() {
    auto context = sockit::TlsContext::client();
    context.load_ca_file(pki().ca.cert_file);
    return context;
}

/// A server context presenting `who`.
inline sockit::TlsContext server_context(const Credential& who) {
    return sockit::TlsContext::server(who.cert_file, who.key_file);
}

/// A connected pair of TCP streams over IPv4 loopback (client first).
inline std::pair<sockit::TcpStream, sockit::TcpStream> tcp_loopback_pair(const char* host = "127.0.0.1") {
    sockit::TcpServer server(host, 0);
    sockit::TcpClient client(server.local_address());
    auto accepted = server.accept();
    return {std::move(client), std::move(accepted.first)};
}

/// Runs `f` in a thread joined at scope exit, keeping its exception to rethrow with `get`.
class Background {
public:
    template <class F>
    explicit Background(F&& f)
        : thread_([this, g = std::forward<F>(f)]() mutable {
              try {
                  g();
              } catch (...) {
                  error_ = std::current_exception();
              }
          }) {}
    /// Joins, and rethrows what the thread threw.
    void get() {
        thread_.join();
        if (error_) std::rethrow_exception(error_);
    }

private:
    std::exception_ptr error_;
    JoinedThread thread_;
};

} // namespace sockit_test
