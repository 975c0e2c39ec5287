// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/udp.md "Answering from the right address": a server bound to 0.0.0.0 answers a client
// that connected its socket to 127.0.0.5 from 127.0.0.5. Exit status 0 when the reply arrived.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>

int main() {
    try {
        sockit::UdpSocket server("0.0.0.0", 0);  // every interface
        server.set_receive_destination(true);   // IP_PKTINFO: tell each datagram's destination

        sockit::UdpSocket client(sockit::Family::v4);
        client.connect(sockit::Address("127.0.0.5", server.local_address().port()));
        client.set_timeout(std::chrono::seconds(3));
        client.send("ping", 4);

        char buf[1500];
        sockit::DatagramRoute route = server.recv_routed(buf, sizeof buf);
        std::cout << route.sender << " sent to " << route.destination.host() << " on interface "
                  << route.interface_index << '\n';
        server.send_from("pong", route.sender, route.destination, route.interface_index);

        std::size_t n = client.recv(buf, sizeof buf); // from 127.0.0.5, so the connected client takes it
        std::cout << "reply: " << std::string_view(buf, n) << '\n';
        return 0;
    } catch (const sockit::Error& e) {
        std::cerr << "udp_route: " << e.what() << '\n';
        return 1;
    }
}
