// SPDX-License-Identifier: MIT
// The program every consumer project builds: it opens a loopback connection, sends one byte
// across it and reads it back, so it proves that sockit's headers were found, compile, link
// and work. Exit status 0 means the byte arrived.
#include <sockit/sockit.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

// A build system that knows the package's version passes it, and it must be the headers' one.
#if defined(EXPECTED_SOCKIT_VERSION_MAJOR) && defined(EXPECTED_SOCKIT_VERSION_MINOR)
static_assert(SOCKIT_VERSION_MAJOR == EXPECTED_SOCKIT_VERSION_MAJOR &&
                  SOCKIT_VERSION_MINOR == EXPECTED_SOCKIT_VERSION_MINOR,
              "the package's version differs from <sockit/version.hpp>");
#endif

int main() {
    try {
        sockit::TcpServer server("127.0.0.1", 0);
        sockit::TcpClient client("127.0.0.1", server.port(), std::chrono::seconds(5));
        auto [conn, peer] = server.accept();
        conn.set_timeout(std::chrono::seconds(5));
        client.send_all("x");
        char byte = 0;
        if (conn.recv(&byte, 1) != 1 || byte != 'x') {
            std::fprintf(stderr, "consumer: the byte sent from %s did not arrive\n", peer.to_string().c_str());
            return 1;
        }
        std::printf("consumer: sockit %d.%d.%d carried one byte from %s to %s\n", SOCKIT_VERSION_MAJOR,
                    SOCKIT_VERSION_MINOR, SOCKIT_VERSION_PATCH, peer.to_string().c_str(),
                    server.socket().local_address().to_string().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
        return 1;
    }
}
