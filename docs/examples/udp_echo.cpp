// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/udp.md: a UDP echo server and a client on loopback. Exit status 0 when
// both datagrams came back whole.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main() {
    sockit::UdpSocket server("127.0.0.1", 0); // bound: clients must know where to send
    sockit::Address server_address = server.local_address();

    std::thread serving([&] {
        char buf[65536]; // the largest datagram fits: none is cut
        for (int i = 0; i < 2; ++i) {
            auto [size, sender] = server.recv_from(buf, sizeof buf);
            server.send_to(buf, size, sender); // the reply goes back to whoever sent it
        }
    });

    sockit::UdpSocket client(sockit::Family::v4); // not bound: the first send_to picks a port
    client.set_timeout(std::chrono::seconds(3)); // a datagram may be lost: never wait forever
    bool all_back = true;
    for (std::string message : {"你好", "second datagram"}) {
        client.send_to(message, server_address);
        char buf[65536];
        auto [size, sender] = client.recv_from(buf, sizeof buf);
        std::cout << sender << " << " << std::string_view(buf, size) << '\n';
        all_back = all_back && std::string_view(buf, size) == message && sender == server_address;
    }
    serving.join();
    return all_back ? 0 : 1;
}
