// SPDX-License-Identifier: MIT
// The document's TCP chat client: sends each line of standard input and prints
// the server's reply as `<< reply`. End of input closes the connection.
#include "common.hpp"

int main(int argc, char** argv) {
    const chat::Program program{"tcp_chat_client", 7777, false,
                                "Sends each line of standard input to a chat server and prints its reply."};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
        sockit::TcpClient client(options.host, options.port);
        const std::string server = client.peer_address().to_string();
        std::string line;
        for (chat::prompt(); std::getline(std::cin, line); chat::prompt()) {
            if (line.empty()) continue; // nothing to send, so no reply would come
            client.send_all(line);      // all of it: send() may send only a part
            char reply[4096];
            std::size_t n = client.recv(reply, sizeof reply);
            if (n == 0) throw sockit::ConnectionError(sockit::Errc::end_of_stream, "recv " + server);
            std::cout << "<< " << std::string_view(reply, n) << std::endl;
        }
    });
}
