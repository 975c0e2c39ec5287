// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/handles.md "Socket activation": a server that takes its listener from a service manager
// when started by one (systemd's LISTEN_FDS protocol) and opens its own otherwise; and SocketRef
// on a descriptor sockit does not own. Exit status 0 when a client was served.
#include <sockit/activation.hpp>
#include <sockit/socket_ref.hpp>
#include <sockit/sockit.hpp>

#include <iostream>

int main() {
    try {
        sockit::TcpServer server;
        for (sockit::PassedSocket& passed : sockit::passed_sockets())
            if (passed.name == "web" || passed.name == "unknown")
                server = sockit::TcpServer::adopt(std::move(passed.socket)); // checked: a TCP listener
        if (!server.is_open())
            server = sockit::TcpServer("127.0.0.1", 0); // not socket-activated: our own listener
        std::cout << "listening on " << server.local_address() << '\n';

        sockit::TcpClient client("127.0.0.1", server.port());
        // A descriptor owned elsewhere (here: the client's), used through sockit without taking it.
        sockit::SocketRef ref(client.native_handle());
        ref.set_option(sockit::NoDelay(true));
        ref.send_all("hello");

        auto [conn, peer] = server.accept();
        std::cout << peer << " sent " << conn.recv(16) << '\n';
        return client.no_delay() ? 0 : 1; // the option set through the view is the socket's
    } catch (const sockit::Error& e) {
        std::cerr << "activation: " << e.what() << '\n';
        return 1;
    }
}
