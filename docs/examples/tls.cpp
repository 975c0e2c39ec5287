// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/tls.md: a verified TLS client and a server over loopback, a certificate for the
// wrong name refused, truncation told apart from a clean end, and the error_code form.
// The CA and the server's certificate are made here, in memory, with OpenSSL's API.
// Exit status 0 when everything behaved as the guide says.
#include <sockit/sockit.hpp>
#include <sockit/tls.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("making the certificates: ") + what);
}

// A certificate for `name` with subjectAltName `san`, valid for a day, signed by
// `issuer` (itself when null); a CA certificate when `san` is empty.
Cert make_cert(const char* name, const std::string& san, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
    Cert cert(X509_new(), X509_free);
    X509* c = cert.get();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), san.empty() ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(c), -60);
    X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
    X509_set_pubkey(c, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name), -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(issuer != nullptr ? issuer : c));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : c, c, nullptr, nullptr, 0);
    const std::string constraints = san.empty() ? "critical,CA:TRUE" : "critical,CA:FALSE";
    for (auto [nid, value] : {std::pair{NID_basic_constraints, constraints}, std::pair{NID_subject_alt_name, san}}) {
        if (value.empty()) continue;
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        check(ext != nullptr && X509_add_ext(c, ext, -1) == 1, "extension");
        X509_EXTENSION_free(ext);
    }
    check(X509_sign(c, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

template <class Write>
std::string pem(Write write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    check(bio && write(bio.get()) == 1, "PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

} // namespace

int main() {
    using namespace std::chrono_literals;
    int failures = 0;
    auto expect = [&](bool ok, const std::string& what) {
        std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
        failures += ok ? 0 : 1;
    };

    // A CA, and a certificate it signed for 127.0.0.1 and localhost, as PEM text.
    Key ca_key(EVP_EC_gen("P-256"), EVP_PKEY_free), key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    check(ca_key && key, "EVP_EC_gen");
    Cert ca = make_cert("example CA", "", ca_key.get(), nullptr, nullptr);
    Cert leaf = make_cert("localhost", "DNS:localhost,IP:127.0.0.1", key.get(), ca.get(), ca_key.get());
    const std::string ca_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, ca.get()); });
    const std::string chain_pem = pem([&](BIO* b) { return PEM_write_bio_X509(b, leaf.get()); });
    const std::string key_pem =
        pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });

    // The server: a plain TcpServer; each accepted stream is wrapped, and its handshake runs
    // in the thread that serves it, under that stream's own timeout.
    auto server_context = sockit::TlsContext::server_from_pem(chain_pem, key_pem);
    sockit::TcpServer listener("127.0.0.1", 0);
    std::thread server([&] {
        for (int i = 0; i < 3; ++i) {
            auto [tcp, peer] = listener.accept();
            sockit::TlsStream tls = sockit::TlsStream::server(server_context, std::move(tcp));
            tls.set_timeout(5s); // bounds the handshake: a silent client cannot hold us up
            try {
                tls.send_all("hello over " + tls.version() + "\n"); // the handshake runs first
                if (i == 1) tls.shutdown(); // close_notify: a clean end
                if (i == 2) sockit::SocketRef(tls).shutdown(sockit::Shutdown::both); // cut, as an attacker could
            } catch (const sockit::TlsError& e) {
                std::cout << "server: " << e.what() << '\n';
            }
        }
    });

    // The client: the server's certificate verified against the CA, and its name checked.
    auto client_context = sockit::TlsContext::client(); // the system's CAs, TLS 1.2 or newer
    client_context.add_ca_pem(ca_pem);                   // and ours
    try {
        sockit::TcpClient tcp("127.0.0.1", listener.port());
        auto tls = sockit::TlsStream::client(client_context, std::move(tcp), "www.example.com");
        tls.handshake();
        expect(false, "a certificate for another name was accepted");
    } catch (const sockit::CertificateError& e) {
        // "TLS handshake 127.0.0.1:…: hostname mismatch"; the code is X509_V_ERR_HOSTNAME_MISMATCH
        expect(e.verify_code() == X509_V_ERR_HOSTNAME_MISMATCH, e.what());
    }

    // The usual way: connect, send SNI, check the name (here an IP address: no SNI).
    auto tls = sockit::TlsStream::connect(client_context, "127.0.0.1", listener.port(), 5s);
    std::string line = tls.recv_until("\n", 100);
    expect(line.rfind("hello over TLSv1.", 0) == 0, "received: " + line.substr(0, line.size() - 1));
    char byte;
    expect(tls.recv(&byte, 1) == 0, "recv returns 0 after the peer's close_notify");

    // The same calls in their error_code form; a close without close_notify is truncation.
    std::error_code ec;
    auto again = sockit::TlsStream::connect(client_context, "127.0.0.1", listener.port(), 5s, ec);
    line = again.recv_until("\n", 100, ec);
    std::size_t n = again.recv(&byte, 1, ec);
    expect(n == 0 && ec == sockit::TlsErrc::truncated, "then: " + ec.message());

    server.join();
    return failures == 0 ? 0 : 1;
}
