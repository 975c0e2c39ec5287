// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/errors-and-timeouts.md: what failures look like, thrown and returned.
// Exit status 0 when each failure was reported as the guide says.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>

int main() {
    int failures = 0;
    auto expect = [&](bool ok, const std::string& what) {
        std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
        failures += ok ? 0 : 1;
    };

    // A port nobody listens on: bound (so no one else takes it) but not listening.
    sockit::Socket placeholder(sockit::Family::v4, sockit::SocketType::stream);
    placeholder.bind(sockit::Address("127.0.0.1", 0));
    const int closed_port = placeholder.local_address().port();

    // Thrown: a typed exception whose message names the call and the address.
    try {
        sockit::TcpClient client("127.0.0.1", closed_port);
        expect(false, "connected to a port nobody listens on");
    } catch (const sockit::ConnectionRefused& e) {
        expect(e.code() == std::errc::connection_refused, e.what()); // connect 127.0.0.1:…: Connection refused
    }

    // Returned: every call has a noexcept overload taking a std::error_code&.
    sockit::Socket s(sockit::Family::v4, sockit::SocketType::stream);
    std::error_code ec = s.connect_ex(sockit::Address("127.0.0.1", closed_port)); // Python's connect_ex
    expect(ec == std::errc::connection_refused, "connect_ex: " + ec.message());

    // Bad input is an AddressError that quotes it.
    try {
        sockit::parse_port("70000");
        expect(false, "70000 was taken for a port");
    } catch (const sockit::AddressError& e) {
        expect(std::string(e.what()) == "port '70000' (greater than 65535): port must be a number from 0 to 65535",
               e.what());
    }

    // A timeout turns a wait into a TimeoutError.
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::TcpClient client("127.0.0.1", server.port());
    client.set_timeout(std::chrono::milliseconds(100));
    auto start = std::chrono::steady_clock::now();
    try {
        char buf[16];
        client.recv(buf, sizeof buf); // the server never sends
        expect(false, "recv returned without data");
    } catch (const sockit::TimeoutError& e) {
        auto waited = std::chrono::steady_clock::now() - start;
        expect(waited >= std::chrono::milliseconds(100), e.what()); // recv 127.0.0.1:…: timed out
    }

    // Catch the base class to handle every sockit failure in one place.
    try {
        sockit::TcpServer second("127.0.0.1", server.port()); // taken: AddressInUse
        expect(false, "a second server bound the same port");
    } catch (const sockit::Error& e) {
        expect(e.code() == std::errc::address_in_use, e.what());
    }
    return failures == 0 ? 0 : 1;
}
