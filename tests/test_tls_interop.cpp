// SPDX-License-Identifier: MIT
// TLS against peers sockit did not write (Python's ssl module, openssl s_server and
// s_client) and against peers that get it wrong: old protocol versions, ALPN, mutual TLS,
// a malformed ClientHello, a plain-text client.
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sockit/tls.hpp>

#include "tls_support.hpp"

using namespace std::chrono_literals;
using sockit::TlsContext;
using sockit::TlsStream;
using namespace sockit_test;

namespace {

/// A child process with its standard input and output on pipes (standard error stays the
/// test's), killed and reaped at scope exit.
class Process {
public:
    explicit Process(const std::vector<std::string>& argv) {
        std::vector<char*> args; // made before fork: the child only calls async-signal-safe functions
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        int in[2], out[2];
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        in_ = in[1];
        out_ = out[0];
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process() {
        close_input();
        if (out_ >= 0) ::close(out_);
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    /// Writes to the child's standard input.
    void write(const std::string& text) {
        REQUIRE(::write(in_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
    void close_input() {
        if (in_ >= 0) ::close(std::exchange(in_, -1));
    }

    /// Reads the child's output until a line containing `text` arrives (at most 10 s); returns
    /// that line, or "" if the child ended or the time ran out first.
    std::string wait_for(const std::string& text) {
        Deadline limit(10s);
        for (;;) {
            std::size_t at = buffer_.find(text);
            if (at != std::string::npos) {
                std::size_t begin = buffer_.rfind('\n', at);
                begin = begin == std::string::npos ? 0 : begin + 1;
                std::size_t end = buffer_.find('\n', at);
                if (end != std::string::npos) {
                    std::string line = buffer_.substr(begin, end - begin);
                    buffer_.erase(0, end + 1);
                    return line;
                }
            }
            if (limit.expired()) return "";
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[4096];
            ssize_t n = ::read(out_, buf, sizeof buf);
            if (n <= 0) return "";
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
    }

    /// Waits (at most 10 s) for the child to exit; its status, or -1.
    int exit_status() {
        Deadline limit(10s);
        while (!limit.expired()) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }

private:
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buffer_;
};

std::string python3() {
    std::string path = SOCKIT_TEST_PYTHON3;
    if (path.empty()) FAIL("python3 was not found when configuring: the interoperability tests need it");
    return path;
}
std::string openssl_cli() {
    std::string path = SOCKIT_TEST_OPENSSL;
    if (path.empty()) FAIL("openssl was not found when configuring: the interoperability tests need it");
    return path;
}
const std::string peer_script = std::string(SOCKIT_TEST_SOURCE_DIR) + "/interop/tls_peer.py";

/// The port after "PORT " or "ACCEPT host:" in `line`.
int port_of(const std::string& line) {
    std::size_t at = line.rfind(':');
    if (at == std::string::npos) at = line.rfind(' ');
    REQUIRE(at != std::string::npos);
    return std::stoi(line.substr(at + 1));
}

/// The server's handshake error when a client made with `client_ctx` connects.
std::error_code server_failure(const TlsContext& server_ctx, const TlsContext& client_ctx,
                               std::error_code* client_error = nullptr) {
    auto tcp = tcp_loopback_pair();
    TlsStream client = TlsStream::client(client_ctx, std::move(tcp.first), "localhost");
    TlsStream server = TlsStream::server(server_ctx, std::move(tcp.second));
    client.set_timeout(5s);
    server.set_timeout(5s);
    std::error_code client_ec;
    Background peer([&] {
        client.handshake(client_ec);
        if (!client_ec) { // TLS 1.3: the client learns of a refused certificate on its first read
            char byte;
            client.recv(&byte, 1, client_ec);
        }
        client.close();
    });
    std::error_code ec;
    server.handshake(ec);
    server.close();
    peer.get();
    if (client_error != nullptr) *client_error = client_ec;
    return ec;
}

} // namespace

TEST_CASE("TLS interop: sockit's client against Python's ssl server", "[tls][interop]") {
    Process py({python3(), peer_script, "server", pki().localhost.cert_file, pki().localhost.key_file, "h2,x-sockit"});
    const int port = port_of(py.wait_for("PORT"));
    auto ctx = client_context();
    ctx.set_alpn({"x-sockit", "http/1.1"});
    TlsStream tls = TlsStream::connect(ctx, "localhost", port, 5s);
    CHECK(tls.alpn_protocol() == "x-sockit");
    tls.send_all("hello python\n");
    CHECK(tls.recv_until("\n", 100) == "echo hello python\n");
    char byte;
    CHECK(tls.recv(&byte, 1) == 0); // Python's unwrap(): close_notify
    tls.shutdown();
    CHECK(py.wait_for("SNI") == "SNI localhost");
    CHECK(py.wait_for("ALPN") == "ALPN x-sockit");
    CHECK(py.exit_status() == 0);
}

TEST_CASE("TLS interop: Python's ssl client against sockit's server", "[tls][interop]") {
    sockit::TcpServer listener("127.0.0.1", 0);
    listener.set_timeout(10s);
    Process py({python3(), peer_script, "client", std::to_string(listener.port()), pki().ca.cert_file, "localhost"});
    auto accepted = listener.accept();
    TlsStream tls = TlsStream::server(server_context(pki().localhost), std::move(accepted.first));
    tls.set_timeout(5s);
    CHECK(tls.recv_until("\n", 100) == "ping\n");
    tls.send_all("pong\n");
    tls.close(); // sends close_notify: Python sees a clean end, not a ragged EOF
    CHECK(py.wait_for("REPLY") == "REPLY pong");
    CHECK(py.wait_for("EOF") == "EOF clean");
    CHECK(py.exit_status() == 0);
}

TEST_CASE("TLS interop: Python's client refuses a certificate for another name", "[tls][interop]") {
    sockit::TcpServer listener("127.0.0.1", 0);
    listener.set_timeout(10s);
    Process py({python3(), peer_script, "client", std::to_string(listener.port()), pki().ca.cert_file, "localhost"});
    auto accepted = listener.accept();
    TlsStream tls = TlsStream::server(server_context(pki().other), std::move(accepted.first));
    tls.set_timeout(5s);
    std::error_code ec;
    tls.handshake(ec);
    CHECK(ec.category() == sockit::tls_openssl_category()); // the client's alert
    CHECK_THAT(ec.message(), contains("alert"));
    CHECK(py.exit_status() == 1);
}

TEST_CASE("TLS interop: sockit's client against openssl s_server", "[tls][interop]") {
    Process server({openssl_cli(), "s_server", "-accept", "127.0.0.1:0", "-cert", pki().localhost.cert_file, "-key",
                    pki().localhost.key_file, "-naccept", "1"});
    const int port = port_of(server.wait_for("ACCEPT"));
    TlsStream tls = TlsStream::connect(client_context(), "127.0.0.1", port, 5s);
    tls.send_all("from sockit\n");
    CHECK(server.wait_for("from sockit") == "from sockit"); // s_server prints what it receives
    server.write("from openssl\n");
    CHECK(tls.recv_until("\n", 100) == "from openssl\n");
}

TEST_CASE("TLS interop: openssl s_client against sockit's server", "[tls][interop]") {
    sockit::TcpServer listener("127.0.0.1", 0);
    listener.set_timeout(10s);
    Process client({openssl_cli(), "s_client", "-connect", "127.0.0.1:" + std::to_string(listener.port()),
                    "-servername", "localhost", "-CAfile", pki().ca.cert_file, "-verify_return_error",
                    "-verify_hostname", "localhost", "-quiet"});
    auto accepted = listener.accept();
    TlsStream tls = TlsStream::server(server_context(pki().localhost), std::move(accepted.first));
    tls.set_timeout(5s);
    tls.send_all("from sockit\n");
    CHECK(client.wait_for("from sockit") == "from sockit");
    client.write("from s_client\n");
    CHECK(tls.recv_until("\n", 100) == "from s_client\n");
    CHECK(tls.server_name() == "localhost");
    tls.close(); // close_notify: s_client exits
    CHECK(client.exit_status() == 0);
}

TEST_CASE("TLS: TLS 1.0 and 1.1 are refused", "[tls]") {
    for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
        INFO("version " << std::hex << version);
        // A client that offers only the old version (its own security level lowered, so
        // that its OpenSSL offers it at all) against sockit's server.
        auto old_client = TlsContext::client();
        old_client.set_verify(sockit::Verify::none_insecure);
        SSL_CTX_set_security_level(old_client.native_handle(), 0);
        SSL_CTX_set_min_proto_version(old_client.native_handle(), version);
        SSL_CTX_set_max_proto_version(old_client.native_handle(), version);
        std::error_code ec = server_failure(server_context(pki().localhost), old_client);
        CHECK(ec.category() == sockit::tls_openssl_category());
        CHECK(ec.message() == "unsupported protocol");
        // openssl s_client offering only the old version.
        sockit::TcpServer listener("127.0.0.1", 0);
        listener.set_timeout(10s);
        Process client({openssl_cli(), "s_client", "-connect", "127.0.0.1:" + std::to_string(listener.port()),
                        version == TLS1_VERSION ? "-tls1" : "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-quiet"});
        auto accepted = listener.accept();
        TlsStream tls = TlsStream::server(server_context(pki().localhost), std::move(accepted.first));
        tls.set_timeout(5s);
        std::error_code refused;
        tls.handshake(refused);
        CHECK(refused == ec);
        CHECK(client.exit_status() != 0);
    }
    // And a client refuses a server that offers only TLS 1.1.
    auto old_server = server_context(pki().localhost);
    SSL_CTX_set_security_level(old_server.native_handle(), 0);
    SSL_CTX_set_min_proto_version(old_server.native_handle(), TLS1_1_VERSION);
    SSL_CTX_set_max_proto_version(old_server.native_handle(), TLS1_1_VERSION);
    std::error_code client_ec;
    server_failure(old_server, client_context(), &client_ec);
    CHECK(client_ec.category() == sockit::tls_openssl_category());
    CHECK_THAT(client_ec.message(), contains("protocol version")); // the server's alert
}

TEST_CASE("TLS: ALPN agreement and mismatch", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    server_ctx.set_alpn({"h2", "http/1.1"});
    SECTION("agreement: the server's preference among what the client offers") {
        auto ctx = client_context();
        ctx.set_alpn({"http/1.1", "h2"});
        auto tcp = tcp_loopback_pair();
        TlsStream client = TlsStream::client(ctx, std::move(tcp.first), "localhost");
        TlsStream server = TlsStream::server(server_ctx, std::move(tcp.second));
        client.set_timeout(5s);
        server.set_timeout(5s);
        Background peer([&] { server.handshake(); });
        client.handshake();
        peer.get();
        CHECK(client.alpn_protocol() == "h2");
        CHECK(server.alpn_protocol() == "h2");
    }
    SECTION("mismatch: refused with an alert") {
        auto ctx = client_context();
        ctx.set_alpn({"spdy/1"});
        std::error_code client_ec;
        std::error_code ec = server_failure(server_ctx, ctx, &client_ec);
        CHECK(ec.category() == sockit::tls_openssl_category());
        CHECK_THAT(client_ec.message(), contains("no application protocol"));
    }
    SECTION("bad names are refused, naming them") {
        auto ctx = client_context();
        std::error_code ec;
        ctx.set_alpn({""}, ec);
        CHECK(ec == sockit::Errc::invalid_argument);
        CHECK_THROWS_WITH(ctx.set_alpn({std::string(256, 'x')}), contains("1 to 255 bytes"));
    }
}

TEST_CASE("TLS: mutual TLS, required and missing", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    server_ctx.load_ca_file(pki().ca.cert_file);
    server_ctx.set_client_certificate(sockit::ClientCertificate::required);
    SECTION("a client with a certificate from the trusted CA") {
        auto ctx = client_context();
        ctx.use_certificate(pki().client.cert_file, pki().client.key_file);
        std::error_code client_ec;
        CHECK_FALSE(server_failure(server_ctx, ctx, &client_ec));
    }
    SECTION("a client without a certificate") {
        std::error_code client_ec;
        std::error_code ec = server_failure(server_ctx, client_context(), &client_ec);
        CHECK(ec.category() == sockit::tls_openssl_category());
        CHECK(ec.message() == "peer did not return a certificate");
        CHECK_THAT(client_ec.message(), contains("certificate required"));
    }
    SECTION("a client with a certificate from another CA") {
        auto ctx = client_context();
        ctx.use_certificate(pki().stranger.cert_file, pki().stranger.key_file);
        std::error_code ec = server_failure(server_ctx, ctx);
        CHECK(ec.category() == sockit::tls_certificate_category());
        CHECK(ec.value() == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    }
}

TEST_CASE("TLS: a malformed ClientHello and a plain-text client are TlsErrors", "[tls]") {
    FdLeakCheck fds;
    auto server_ctx = server_context(pki().localhost);
    const std::string inputs[] = {
        "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",                       // plain text
        std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10),       // a ClientHello far too short
        std::string("\x16\x03\x01\xff\xff", 5) + std::string(300, '\xee'), // a record longer than allowed
    };
    for (const std::string& input : inputs) {
        auto tcp = tcp_loopback_pair();
        TlsStream server = TlsStream::server(server_ctx, std::move(tcp.second));
        server.set_timeout(5s);
        tcp.first.send_all(input);
        tcp.first.shutdown(sockit::Shutdown::write);
        try {
            server.handshake();
            FAIL("the handshake succeeded");
        } catch (const sockit::TlsError& e) {
            CHECK_THAT(e.what(), contains("TLS handshake 127.0.0.1:"));
            CHECK(e.code().category() != sockit::tls_certificate_category());
        }
    }
}
