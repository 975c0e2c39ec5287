// SPDX-License-Identifier: MIT
// TLS: verified connections, each verification failure with its code, SNI, close_notify
// versus truncation, handshake timeouts, and no SIGPIPE.
#include <chrono>
#include <string>
#include <system_error>

#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sockit/tls.hpp>

#include "tls_support.hpp"

using namespace std::chrono_literals;
using sockit::TlsContext;
using sockit::TlsErrc;
using sockit::TlsStream;
using namespace sockit_test;

namespace {

/// A TLS pair over loopback TCP: the client (checking `name`) and the server presenting
/// `who`, both with a 5 s timeout, neither handshaken yet.
struct TlsPair {
    TlsStream client;
    TlsStream server;
};
TlsPair tls_pair(const TlsContext& client_ctx, const TlsContext& server_ctx, const std::string& name,
                 const char* host = "127.0.0.1") {
    auto tcp = tcp_loopback_pair(host);
    TlsPair out{TlsStream::client(client_ctx, std::move(tcp.first), name),
                TlsStream::server(server_ctx, std::move(tcp.second))};
    out.client.set_timeout(5s);
    out.server.set_timeout(5s);
    return out;
}

std::atomic<int> usr1_seen{0};
void count_usr1(int) { usr1_seen.fetch_add(1); }

/// A SIGUSR1 handler without SA_RESTART (so that blocked calls see EINTR) for the object's life.
class Usr1Handler {
public:
    Usr1Handler() {
        struct sigaction sa {};
        sa.sa_handler = count_usr1;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGUSR1, &sa, &old_);
    }
    ~Usr1Handler() { ::sigaction(SIGUSR1, &old_, nullptr); }
    Usr1Handler(const Usr1Handler&) = delete;
    Usr1Handler& operator=(const Usr1Handler&) = delete;

private:
    struct sigaction old_ {};
};

/// The client's handshake error against a server presenting `who` (the server's own
/// failure, an alert from the client, is ignored).
std::error_code client_failure(const Credential& who, const std::string& name,
                               const TlsContext& client_ctx = client_context()) {
    auto server_ctx = server_context(who);
    auto pair = tls_pair(client_ctx, server_ctx, name);
    Background server([&] {
        std::error_code ignored;
        pair.server.handshake(ignored);
    });
    std::error_code ec;
    pair.client.handshake(ec);
    pair.client.close(); // the server sees the end at once, whatever happened
    server.get();
    return ec;
}

} // namespace

TEST_CASE("TLS: a verified exchange over loopback ends with close_notify", "[tls]") {
    FdLeakCheck fds;
    auto server_ctx = server_context(pki().localhost);
    auto pair = tls_pair(client_context(), server_ctx, "localhost");
    std::string server_got;
    std::size_t server_end = 99;
    Background server([&] {
        pair.server.handshake();
        server_got = pair.server.recv_until("\n", 100);
        pair.server.send_all("echo: " + server_got);
        pair.server.shutdown();
        char byte;
        server_end = pair.server.recv(&byte, 1);
    });
    pair.client.send_all("hello\n"); // the handshake runs inside the first send
    CHECK(pair.client.handshake_done());
    CHECK(pair.client.recv_until("\n", 100) == "echo: hello\n");
    char byte;
    CHECK(pair.client.recv(&byte, 1) == 0); // the server's close_notify: a clean end
    std::error_code ec;
    CHECK(pair.client.recv_exactly(&byte, 1, ec) == 0);
    CHECK(ec == sockit::Errc::end_of_stream);
    pair.client.shutdown();
    server.get();
    CHECK(server_got == "hello\n");
    CHECK(server_end == 0);
    CHECK(pair.client.version() == "TLSv1.3");
    CHECK((::fcntl(pair.client.native_handle(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(pair.server.server_name() == "localhost"); // SNI as the server saw it
}

TEST_CASE("TLS: SNI is sent for names, never for IP addresses, and IPs are checked", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    for (const char* name : {"127.0.0.1", "localhost"}) {
        auto pair = tls_pair(client_context(), server_ctx, name);
        Background server([&] { pair.server.handshake(); });
        pair.client.handshake();
        server.get();
        CHECK(pair.server.server_name() == (std::string(name) == "localhost" ? "localhost" : ""));
    }
    if (has_ipv6()) {
        auto pair = tls_pair(client_context(), server_ctx, "::1", "::1");
        Background server([&] { pair.server.handshake(); });
        pair.client.handshake();
        server.get();
        CHECK(pair.server.server_name().empty());
    }
}

TEST_CASE("TLS: each certificate rejection carries its verification code and text", "[tls]") {
    struct Case {
        const Credential* who;
        const char* name;
        int code;
        const char* text;
    };
    const Case cases[] = {
        {&pki().other, "localhost", X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch"},
        {&pki().self, "localhost", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "self-signed certificate"},
        {&pki().expired, "localhost", X509_V_ERR_CERT_HAS_EXPIRED, "certificate has expired"},
        {&pki().ip_in_cn, "127.0.0.1", X509_V_ERR_IP_ADDRESS_MISMATCH, "IP address mismatch"},
        {&pki().untrusted, "localhost", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
         "unable to get local issuer certificate"},
        {&pki().localhost, "other.example", X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        std::error_code ec = client_failure(*c.who, c.name);
        CHECK(ec.category() == sockit::tls_certificate_category());
        CHECK(ec.value() == c.code);
        CHECK(ec.message() == c.text);
        // The throwing form: a CertificateError with the same code, its text in what().
        auto server_ctx = server_context(*c.who);
        auto pair = tls_pair(client_context(), server_ctx, c.name);
        Background server([&] {
            std::error_code ignored;
            pair.server.handshake(ignored);
        });
        try {
            pair.client.handshake();
            FAIL("the handshake succeeded");
        } catch (const sockit::CertificateError& e) {
            CHECK(e.code() == ec);
            CHECK(e.verify_code() == c.code);
            CHECK_THAT(e.what(), contains(c.text));
            CHECK_THAT(e.what(), contains("TLS handshake 127.0.0.1:"));
        }
        pair.client.close();
        server.get();
    }
}

TEST_CASE("TLS: the system trust store does not trust the test CA", "[tls]") {
    std::error_code ec = client_failure(pki().localhost, "localhost", TlsContext::client());
    CHECK(ec.category() == sockit::tls_certificate_category());
    CHECK(ec.value() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_CASE("TLS: CAs from a PEM string and from a folder are trusted", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    SECTION("PEM string") {
        auto ctx = TlsContext::client();
        ctx.add_ca_pem(pki().ca_pem);
        CHECK_FALSE(client_failure(pki().localhost, "localhost", ctx));
    }
    SECTION("folder named by hash") {
        const std::string folder = pki().dir + "/hashed";
        ::mkdir(folder.c_str(), 0700);
        char hash[32];
        std::snprintf(hash, sizeof hash, "%08lx.0", X509_subject_name_hash(pki().ca.cert.get()));
        write_file(folder + "/" + hash, pki().ca_pem);
        auto ctx = TlsContext::client();
        ctx.load_ca_directory(folder);
        CHECK_FALSE(client_failure(pki().localhost, "localhost", ctx));
    }
    SECTION("a PEM string without a certificate is refused") {
        auto ctx = TlsContext::client();
        std::error_code ec;
        ctx.add_ca_pem("not a certificate", ec);
        CHECK(ec.category() == sockit::tls_openssl_category());
        CHECK_THROWS_AS(ctx.add_ca_pem("not a certificate"), sockit::TlsError);
    }
}

TEST_CASE("TLS: turning verification off is spelt out, and a verifying client needs a name", "[tls]") {
    auto server_ctx = server_context(pki().self);
    auto insecure = TlsContext::client();
    insecure.set_verify(sockit::Verify::none_insecure);
    CHECK_FALSE(client_failure(pki().self, "", insecure));
    CHECK_FALSE(client_failure(pki().other, "localhost", insecure));

    auto tcp = tcp_loopback_pair();
    std::error_code ec;
    TlsStream s = TlsStream::client(client_context(), std::move(tcp.first), "", ec);
    CHECK(ec == TlsErrc::no_server_name);
    CHECK_FALSE(s.is_open());
    CHECK_THROWS_AS(TlsStream::client(client_context(), std::move(tcp.second), ""), sockit::TlsError);
}

TEST_CASE("TLS: bad certificate and key files are named in the error", "[tls]") {
    const std::string missing = pki().dir + "/missing.pem";
    try {
        TlsContext::server(missing, pki().localhost.key_file);
        FAIL("a missing file was accepted");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK_THAT(e.what(), contains(missing));
    }
    try {
        TlsContext::server(pki().localhost.cert_file, pki().other.key_file);
        FAIL("a key of another certificate was accepted");
    } catch (const sockit::TlsError& e) {
        CHECK_THAT(e.what(), contains("does not match"));
        CHECK_THAT(e.what(), contains(pki().other.key_file));
        CHECK_THAT(e.what(), contains("key values mismatch"));
    }
    std::error_code ec;
    TlsContext ctx = TlsContext::server(pki().localhost.cert_file, pki().localhost.cert_file, ec);
    CHECK(ec);
    CHECK_FALSE(ctx);
}

TEST_CASE("TLS: a server certificate and key from PEM text in memory", "[tls]") {
    auto read = [](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    auto ctx = TlsContext::server_from_pem(read(pki().localhost.cert_file), read(pki().localhost.key_file));
    auto pair = tls_pair(client_context(), ctx, "localhost");
    Background server([&] { pair.server.handshake(); });
    pair.client.handshake();
    server.get();
    CHECK(pair.client.handshake_done());

    std::error_code ec;
    TlsContext mismatched = TlsContext::server_from_pem(read(pki().localhost.cert_file), read(pki().other.key_file),
                                                        ec);
    CHECK_FALSE(mismatched);
    CHECK(ec.message() == "key values mismatch");
    CHECK_THROWS_WITH(TlsContext::server_from_pem("not PEM", read(pki().localhost.key_file)),
                      contains("TLS server certificate and key (PEM text): no start line"));
}

TEST_CASE("TLS: a close without close_notify is truncation, not the end of the stream", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    for (bool clean : {true, false}) {
        INFO("clean: " << clean);
        auto pair = tls_pair(client_context(), server_ctx, "localhost");
        Background server([&] {
            pair.server.send_all("data");
            if (clean)
                pair.server.shutdown();
            else
                ::shutdown(pair.server.native_handle(), SHUT_WR); // TCP's FIN, no close_notify
        });
        char buf[8];
        std::error_code ec;
        CHECK(pair.client.recv_exactly(buf, 4, ec) == 4);
        server.get();
        CHECK(pair.client.recv_exactly(buf, 1, ec) == 0);
        if (clean) {
            CHECK(ec == sockit::Errc::end_of_stream);
            CHECK(pair.client.recv(buf, 1) == 0);
        } else {
            CHECK(ec == TlsErrc::truncated);
            CHECK(ec.message() == "connection closed without a TLS close_notify (truncated)");
            try {
                pair.client.recv(buf, 1);
                FAIL("no exception");
            } catch (const sockit::TlsError& e) {
                CHECK(e.code() == TlsErrc::truncated);
            }
        }
    }
}

TEST_CASE("TLS: the handshake is bounded by the timeout against a peer that never speaks", "[tls]") {
    FdLeakCheck fds;
    sockit::TcpServer silent("127.0.0.1", 0); // never accepts: the kernel completes the connect
    SECTION("client") {
        TlsStream client = TlsStream::client(client_context(), sockit::TcpClient(silent.local_address()), "localhost");
        client.set_timeout(300ms);
        std::error_code ec;
        auto took = elapsed([&] { client.handshake(ec); });
        CHECK(ec == std::errc::timed_out);
        CHECK(took >= 290ms);
        CHECK(took < 3s);
        CHECK_THROWS_AS(client.handshake(), sockit::TimeoutError);
    }
    SECTION("connect helper: one timeout for the connect and then the handshake") {
        auto took = elapsed([&] {
            CHECK_THROWS_AS(TlsStream::connect(client_context(), "127.0.0.1", silent.port(), 300ms),
                            sockit::TimeoutError);
        });
        CHECK(took < 3s);
    }
    SECTION("server: a client that never speaks") {
        sockit::TcpClient quiet(silent.local_address());
        auto accepted = silent.accept();
        TlsStream server = TlsStream::server(server_context(pki().localhost), std::move(accepted.first));
        server.set_timeout(300ms);
        std::error_code ec;
        auto took = elapsed([&] { server.handshake(ec); });
        CHECK(ec == std::errc::timed_out);
        CHECK(took < 3s);
    }
}

TEST_CASE("TLS: writing to a closed peer is BrokenPipe or ConnectionReset, never SIGPIPE", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    auto client_ctx = client_context();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGPIPE, SIG_DFL); // the default: a SIGPIPE would kill the child
        int status = 3;
        try {
            auto pair = tls_pair(client_ctx, server_ctx, "localhost");
            {
                Background server([&] { pair.server.handshake(); });
                pair.client.handshake();
                server.get();
            }
            pair.server.close();
            const std::string chunk(64 * 1024, 'x');
            for (int i = 0; i < 100; ++i) pair.client.send_all(chunk);
            status = 2; // no error at all
        } catch (const sockit::BrokenPipe&) {
            status = 0;
        } catch (const sockit::ConnectionReset&) {
            status = 0;
        } catch (...) {
            status = 1;
        }
        ::_exit(status);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE_FALSE(WIFSIGNALED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("TLS: the error_code forms give the codes the exceptions carry", "[tls]") {
    auto server_ctx = server_context(pki().other);
    auto pair = tls_pair(client_context(), server_ctx, "localhost");
    Background server([&] {
        std::error_code ignored;
        pair.server.handshake(ignored);
    });
    std::error_code ec;
    pair.client.send("x", ec);
    server.get();
    CHECK(ec.value() == X509_V_ERR_HOSTNAME_MISMATCH);
    // The stream is unusable after a fatal error, and says why in both forms.
    std::error_code again;
    char byte;
    pair.client.recv(&byte, 1, again);
    CHECK(again == ec);
    try {
        pair.client.recv(&byte, 1);
        FAIL("no exception");
    } catch (const sockit::CertificateError& e) {
        CHECK(e.code() == ec);
    }
    // A frozen context refuses changes, in both forms.
    std::error_code frozen;
    auto ctx = client_context();
    auto tcp = tcp_loopback_pair();
    TlsStream s = TlsStream::client(ctx, std::move(tcp.first), "localhost");
    CHECK(ctx.frozen());
    ctx.set_min_version(sockit::TlsVersion::v1_3, frozen);
    CHECK(frozen == TlsErrc::context_in_use);
    try {
        ctx.set_min_version(sockit::TlsVersion::v1_3);
        FAIL("no exception");
    } catch (const sockit::TlsError& e) {
        CHECK(e.code() == frozen);
    }
}

TEST_CASE("TLS: signals during a wait are retried within the call's one deadline", "[tls][eintr]") {
    auto server_ctx = server_context(pki().localhost);
    auto pair = tls_pair(client_context(), server_ctx, "localhost");
    Background handshake([&] { pair.server.handshake(); });
    pair.client.handshake();
    handshake.get();
    Usr1Handler handler;
    usr1_seen = 0;
    const pthread_t reader = ::pthread_self();
    std::atomic<bool> stop{false};
    Background signaller([&] {
        while (!stop) {
            ::pthread_kill(reader, SIGUSR1);
            std::this_thread::sleep_for(20ms);
        }
    });
    SECTION("a timed recv times out once, after its timeout, not later") {
        pair.client.set_timeout(300ms);
        char byte;
        std::error_code ec;
        auto took = elapsed([&] { pair.client.recv(&byte, 1, ec); });
        stop = true;
        signaller.get();
        CHECK(ec == std::errc::timed_out);
        CHECK(took >= 290ms);
        CHECK(took < 1500ms);
        CHECK(usr1_seen > 0);
    }
    SECTION("a blocking recv goes on waiting and gets the data") {
        pair.client.set_timeout(std::nullopt);
        Background sender([&] {
            std::this_thread::sleep_for(300ms);
            pair.server.send_all("late");
        });
        char buf[4];
        pair.client.recv_exactly(buf, 4);
        stop = true;
        signaller.get();
        sender.get();
        CHECK(std::string(buf, 4) == "late");
        CHECK(usr1_seen > 0);
    }
}

TEST_CASE("TLS: a minimum version the peer does not reach is refused", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    server_ctx.set_min_version(sockit::TlsVersion::v1_3);
    auto client_ctx = client_context();
    SSL_CTX_set_max_proto_version(client_ctx.native_handle(), TLS1_2_VERSION); // a TLS 1.2-only client
    auto pair = tls_pair(client_ctx, server_ctx, "localhost");
    std::error_code server_ec;
    Background server([&] { pair.server.handshake(server_ec); });
    std::error_code ec;
    pair.client.handshake(ec);
    pair.client.close();
    server.get();
    CHECK(server_ec.message() == "unsupported protocol");
    CHECK(ec.category() == sockit::tls_openssl_category());
    // With TLS 1.2 allowed again (a fresh context), the same client connects with TLS 1.2.
    auto pair12 = tls_pair(client_ctx, server_context(pki().localhost), "localhost");
    Background server12([&] { pair12.server.handshake(); });
    pair12.client.handshake();
    server12.get();
    CHECK(pair12.client.version() == "TLSv1.2");
}

TEST_CASE("TLS: a handshake run by the first recv shares that call's one deadline", "[tls][timeout]") {
    auto server_ctx = server_context(pki().localhost);
    auto pair = tls_pair(client_context(), server_ctx, "localhost");
    pair.client.set_timeout(600ms);
    Background server([&] {
        std::this_thread::sleep_for(300ms); // a slow server: half the client's timeout goes on the handshake
        pair.server.handshake();
    });
    char byte;
    std::error_code ec;
    auto took = elapsed([&] { pair.client.recv(&byte, 1, ec); }); // the handshake, then a wait for data
    server.get();
    CHECK(pair.client.handshake_done());
    CHECK(ec == std::errc::timed_out);
    CHECK(took >= 590ms);
    CHECK(took < 850ms); // not 300 ms of handshake plus a fresh 600 ms for the data
}
