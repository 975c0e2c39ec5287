// SPDX-License-Identifier: MIT
// The program test_activation.cpp starts the way a service manager starts a socket-activated
// service: descriptors 3, 4, 5 passed and LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES set. It reports
// on standard output what sockit made of them, one line per fact, then serves one client on each.
#include <sockit/activation.hpp>
#include <sockit/sockit.hpp>

#include <cstdlib>
#include <iostream>

#include <fcntl.h>

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "serve";
    std::error_code ec;
    std::vector<sockit::PassedSocket> passed = sockit::passed_sockets(ec);
    if (ec) {
        try {
            sockit::passed_sockets();
        } catch (const sockit::Error& e) {
            std::cout << "error: " << e.what() << std::endl;
        }
        return 0;
    }
    std::cout << "passed: " << passed.size() << '\n';
    for (const sockit::PassedSocket& p : passed)
        std::cout << "socket " << p.name << " fd " << p.socket.native_handle() << " cloexec "
                  << ((::fcntl(p.socket.native_handle(), F_GETFD) & FD_CLOEXEC) != 0) << '\n';
    std::cout << "environment unset: "
              << (std::getenv("LISTEN_PID") == nullptr && std::getenv("LISTEN_FDS") == nullptr &&
                  std::getenv("LISTEN_FDNAMES") == nullptr)
              << std::endl;
    if (passed.size() != 3) return 0;

    if (mode == "wrong") { // each socket offered to the classes it does not fit
        using Adopt = void (*)(sockit::Socket&);
        Adopt as_udp = [](sockit::Socket& s) { sockit::UdpSocket::adopt(std::move(s)); };
        Adopt as_unix = [](sockit::Socket& s) { sockit::UnixServer::adopt(std::move(s)); };
        Adopt as_tcp = [](sockit::Socket& s) { sockit::TcpServer::adopt(std::move(s)); };
        const std::pair<std::size_t, Adopt> attempts[] = {{0, as_udp},  {0, as_unix}, {1, as_tcp},
                                                          {1, as_unix}, {2, as_tcp},  {2, as_udp}};
        for (const auto& [i, adopt] : attempts) {
            try {
                adopt(passed[i].socket);
                std::cout << passed[i].name << ": adopted" << '\n';
            } catch (const sockit::Error& e) {
                std::cout << passed[i].name << ": " << e.what() << '\n';
            }
        }
        std::cout << "still open: "
                  << (passed[0].socket.is_open() && passed[1].socket.is_open() && passed[2].socket.is_open())
                  << std::endl;
        return 0;
    }

    sockit::TcpServer web = sockit::TcpServer::adopt(std::move(passed[0].socket));
    sockit::UdpSocket dns = sockit::UdpSocket::adopt(std::move(passed[1].socket));
    sockit::UnixServer ctl = sockit::UnixServer::adopt(std::move(passed[2].socket));
    std::cout << "adopted: tcp port " << web.port() << std::endl;
    for (sockit::SocketOperations* s : std::initializer_list<sockit::SocketOperations*>{&web, &dns, &ctl})
        s->set_timeout(std::chrono::seconds(10));
    auto [conn, peer] = web.accept();
    conn.send_all("web:" + conn.recv(64));
    char buf[64];
    auto got = dns.recv_from(buf, sizeof buf);
    dns.send_to("dns:" + std::string(buf, got.size), got.sender);
    auto [local, who] = ctl.accept();
    local.send_all("ctl:" + local.recv(64));
    std::cout << "served" << std::endl;
    return 0;
}
