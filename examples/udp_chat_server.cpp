// SPDX-License-Identifier: MIT
// The document's UDP chat server: prints every datagram as `(ip, port) << message`
// and answers it with the next line of standard input, or with --echo sends it back.
#include "common.hpp"

int main(int argc, char** argv) {
    const chat::Program program{"udp_chat_server", 8888, true,
                                "Receives chat datagrams; answers each with the next line of standard input."};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
        sockit::UdpSocket socket(chat::udp_address(options));
        std::atomic<bool> reading_input{false};

        chat::SignalStop stop([&] {
            if (reading_input) { // waiting for the operator's reply: nothing to finish
                std::cout << "\nserver stopped" << std::endl;
                std::_Exit(0);
            }
            std::error_code ignored;
            socket.shutdown(sockit::Shutdown::both, ignored); // wakes recv_from
        });
        std::cout << "listening on " << socket.local_address() << std::endl;
        // Bound to every interface (0.0.0.0 or ::): answer each datagram from the address it was
        // sent to, which a client that connected its socket to that address requires.
        std::error_code ec;
        const bool routed = socket.local_address().is_unspecified() && (socket.set_receive_destination(true, ec), !ec);

        std::string buf(65536, '\0'); // room for the largest datagram: none is cut
        std::string reply;
        for (;;) {
            sockit::DatagramRoute route;
            if (routed) {
                route = socket.recv_routed(&buf[0], buf.size());
            } else {
                auto got = socket.recv_from(&buf[0], buf.size());
                route.size = got.size;
                route.sender = got.sender;
            }
            const std::size_t size = route.size;
            const sockit::Address& sender = route.sender;
            if (stop.stopped()) break;
            std::string_view message(buf.data(), size);
            std::cout << chat::peer_text(sender) << " << " << message << std::endl;
            if (!options.echo) {
                reading_input = true;
                if (stop.stopped()) break;
                chat::prompt();
                bool more = static_cast<bool>(std::getline(std::cin, reply));
                reading_input = false;
                if (!more) break; // end of input ends the server
            }
            std::string_view answer = options.echo ? message : std::string_view(reply);
            if (routed)
                socket.send_from(answer, sender, route.destination, route.interface_index);
            else
                socket.send_to(answer, sender);
        }
        std::cout << "server stopped" << std::endl;
    });
}
