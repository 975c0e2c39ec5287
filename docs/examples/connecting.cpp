// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/connecting.md: ConnectOptions with a list of addresses, Happy Eyeballs and a source
// address, all on loopback. Exit status 0 when the working address won.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <vector>

int main() {
    try {
        sockit::TcpServer working("127.0.0.1", 0);
        sockit::Address refused = [] {
            sockit::TcpServer gone("127.0.0.1", 0);
            return gone.local_address(); // nobody listens there once `gone` is closed
        }();

        sockit::ConnectOptions options;
        options.timeout = std::chrono::seconds(3);          // for each attempt
        options.happy_eyeballs = true;                      // RFC 8305: race the addresses
        options.stagger = std::chrono::milliseconds(250);   // the next attempt starts 250 ms later
        options.source = sockit::Address("127.0.0.1", 0);   // bind before connecting (port 0: any)

        std::vector<sockit::Address> addresses{refused, working.local_address()};
        sockit::TcpClient client(addresses, options); // or TcpClient("example.org", 443, options)
        std::cout << "connected to " << client.peer_address() << '\n';

        try {
            sockit::TcpClient nobody(std::vector<sockit::Address>{refused, refused}, options);
        } catch (const sockit::ConnectionRefused& e) {
            std::cout << e.what() << '\n'; // connect (127.0.0.1:P: Connection refused; 127.0.0.1:P: ...)
        }
        return client.peer_address() == working.local_address() ? 0 : 1;
    } catch (const sockit::Error& e) {
        std::cerr << "connecting: " << e.what() << '\n';
        return 1;
    }
}
