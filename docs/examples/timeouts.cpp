// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/errors-and-timeouts.md: the timeout model — whose timeout a call obeys, and what a
// failed call hands back. Exit status 0 when everything behaved as the guide says.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main() {
    using namespace std::chrono_literals;
    int failures = 0;
    auto expect = [&](bool ok, const std::string& what) {
        std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
        failures += ok ? 0 : 1;
    };

    // A server that wakes up every 200 ms to check a stop flag...
    sockit::TcpServer server("127.0.0.1", 0);
    server.set_timeout(200ms);
    sockit::TcpClient client("127.0.0.1", server.port(), 2s); // keeps its 2 s, as Python does
    auto [conn, peer] = server.accept();
    // ...hands out streams with no timeout: an idle client is not dropped after 200 ms.
    expect(!conn.timeout() && conn.blocking(), "an accepted stream has no timeout");
    expect(client.timeout() == std::chrono::nanoseconds(2s), "the client kept its timeout");

    // Each copy of a socket keeps its own timeout.
    sockit::Socket copy = conn.socket().dup();
    copy.set_blocking(false);
    expect(!conn.timeout() && !copy.blocking(), "dup: two copies, two timeouts");

    // Half a line comes, from a writer on another thread; the rest never does.
    conn.set_timeout(300ms);
    std::thread writer([&] { client.send_all("GET /ind"); });
    writer.join();
    try {
        conn.recv_until("\n", 1024); // the rest of the line never comes
        expect(false, "recv_until returned without its delimiter");
    } catch (const sockit::TimeoutError& e) {
        // The bytes it took from the socket are handed over: nothing received is lost.
        expect(e.received() == "GET /ind", std::string("kept: ") + e.received());
    }
    return failures == 0 ? 0 : 1;
}
