// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/tcp.md "Linux extras": Multipath TCP and TCP Fast Open with their fallbacks, and TCP_INFO,
// on loopback. Exit status 0 when the hello arrived and TCP_INFO saw it acknowledged.
#include <sockit/sockit.hpp>

#include <iostream>

int main() {
#ifdef __linux__
    try {
        sockit::ServerOptions listening;
        listening.multipath = true; // MPTCP where the system allows it, plain TCP otherwise
        listening.fast_open = 16;   // up to 16 connections with data from their SYN wait for accept
        sockit::TcpServer server("127.0.0.1", 0, listening);

        sockit::ConnectOptions connecting;
        connecting.multipath = true;
        connecting.fast_open = true; // a repeat connection sends its first bytes in the SYN
        sockit::TcpClient client("127.0.0.1", server.port(), connecting);
        client.send_all("hello");
        auto [conn, peer] = server.accept();
        std::cout << "server read " << conn.recv(16) << " over "
                  << (conn.get_option<sockit::Protocol>().is_multipath() ? "MPTCP" : "TCP") << '\n';

        sockit::TcpInfo info = client.get_option<sockit::TcpInfo>();
        std::cout << "rtt " << info.round_trip_time().count() << " us, cwnd "
                  << info.congestion_window() << " segments, "
                  << info.bytes_acked().value_or(0) << " bytes acked, "
                  << info.retransmissions() << " retransmitted\n";

        sockit::UdpSocket dual(sockit::Family::v6);           // IPv6, and IPv4-mapped peers
        dual.set_option(sockit::TrafficClass(0x28));          // IPv6 packets' DSCP and ECN byte
        dual.set_option(sockit::TypeOfService(0x28));         // the same for IPv4-mapped peers
        std::error_code ec;
        dual.set_option(sockit::BindToDevice("lo"), ec);      // needs CAP_NET_RAW: may be refused
        std::cout << "bound to device: " << (ec ? ec.message() : "lo") << '\n';
        return info.state() == sockit::TcpState::established ? 0 : 1;
    } catch (const sockit::Error& e) {
        std::cerr << "tcp_extras: " << e.what() << '\n';
        return 1;
    }
#else
    std::cout << "TCP_INFO, Fast Open and MPTCP are Linux features\n";
    return 0;
#endif
}
