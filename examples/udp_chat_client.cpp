// SPDX-License-Identifier: MIT
// The document's UDP chat client: sends each line of standard input as a datagram
// and prints the reply as `(ip, port) << reply`. UDP may lose either datagram, so
// it waits a few seconds at most, says so if nothing came, and goes on.
#include "common.hpp"

int main(int argc, char** argv) {
    const chat::Program program{"udp_chat_client", 8888, false,
                                "Sends each line of standard input to a UDP chat server and prints its reply."};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
        const auto wait = std::chrono::seconds(3);
        const sockit::Address server = chat::udp_address(options);
        sockit::UdpSocket socket(server.family()); // not bound: the system picks our port
        socket.set_timeout(wait);

        std::string buf(65536, '\0');
        std::string line;
        for (chat::prompt(); std::getline(std::cin, line); chat::prompt()) {
            socket.send_to(line, server);
            std::error_code ec;
            auto [size, sender] = socket.recv_from(&buf[0], buf.size(), ec);
            if (ec == sockit::Errc::timed_out) {
                std::cerr << "no reply from " << server << " within " << wait.count()
                          << " s (UDP may lose datagrams); going on" << std::endl;
                continue;
            }
            if (ec) throw sockit::Error(ec, "recv_from " + server.to_string());
            std::cout << chat::peer_text(sender) << " << " << std::string_view(buf.data(), size) << std::endl;
        }
    });
}
