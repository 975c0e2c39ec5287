// SPDX-License-Identifier: MIT
// The program the TLS consumer projects build: a verifying client context and a TLS client
// whose handshake, against a loopback listener that never answers, times out. It proves that
// <sockit/tls.hpp> was found and that OpenSSL was linked. Exit status 0 means it behaved.
#include <sockit/tls.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

int main() {
    try {
        auto context = sockit::TlsContext::client();
        sockit::TcpServer silent("127.0.0.1", 0);
        sockit::TcpClient tcp("127.0.0.1", silent.port(), std::chrono::seconds(5));
        auto tls = sockit::TlsStream::client(context, std::move(tcp), "localhost");
        tls.set_timeout(std::chrono::milliseconds(100));
        std::error_code ec;
        tls.handshake(ec);
        if (ec != std::errc::timed_out) {
            std::fprintf(stderr, "consumer_tls: expected a timeout, got: %s\n", ec.message().c_str());
            return 1;
        }
        std::printf("consumer_tls: sockit::tls with %s\n", OpenSSL_version(OPENSSL_VERSION));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consumer_tls: %s\n", e.what());
        return 1;
    }
}
