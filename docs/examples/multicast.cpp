// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/multicast.md: an IPv4 multicast group joined on the loopback interface, and a
// broadcast on the loopback network. Exit status 0 when both datagrams arrived.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>

int main() {
    try {
        sockit::Address group("239.255.10.20", 0);
        sockit::UdpSocket member(group); // bound to the group: only its datagrams arrive
        group.set_port(member.port());
        member.join_group(group, sockit::Address("127.0.0.1", 0)); // on the interface that has 127.0.0.1

        sockit::UdpSocket sender(sockit::Family::v4);
        sender.set_option(sockit::MulticastInterface(sockit::Address("127.0.0.1", 0))); // leave by lo
        sender.set_option(sockit::MulticastTimeToLive(1));                            // this network only
        sender.set_option(sockit::MulticastLoop(true));                               // this host hears it
        sender.send_to("to the group", group);

        char buf[64];
        member.set_timeout(std::chrono::seconds(3));
        auto [size, from] = member.recv_from(buf, sizeof buf);
        std::cout << std::string(buf, size) << " from " << from << '\n';
        member.leave_group(group, sockit::Address("127.0.0.1", 0));
        bool multicast_ok = std::string(buf, size) == "to the group";

        sockit::UdpSocket listener("127.255.255.255", 0); // the loopback network's broadcast address
        sockit::UdpSocket shouter(sockit::Family::v4);
        shouter.set_option(sockit::Broadcast(true)); // without it: Permission denied
        shouter.send_to("to everyone", sockit::Address("127.255.255.255", listener.port()));
        listener.set_timeout(std::chrono::seconds(3));
        auto got = listener.recv_from(buf, sizeof buf);
        bool broadcast_ok = std::string(buf, got.size) == "to everyone";
        return multicast_ok && broadcast_ok ? 0 : 1;
    } catch (const sockit::Error& e) {
        std::cerr << "multicast: " << e.what() << '\n';
        return 1;
    }
}
