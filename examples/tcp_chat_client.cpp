// SPDX-License-Identifier: MIT
// The document's TCP chat client: sends each line of standard input and prints
// the server's reply as `<< reply`. End of input closes the connection.
// With --tls it speaks TLS, verifying the server's certificate and name.
#include "common.hpp"

namespace {

/// Sends each line of standard input and prints the reply, until end of input.
template <class Stream>
void chat_with(Stream& stream, const std::string& server) {
    std::string line;
    for (chat::prompt(); std::getline(std::cin, line); chat::prompt()) {
        if (line.empty()) continue; // nothing to send, so no reply would come
        stream.send_all(line);      // all of it: send() may send only a part
        char reply[4096];
        std::size_t n = stream.recv(reply, sizeof reply);
        if (n == 0) throw sockit::ConnectionError(sockit::Errc::end_of_stream, "recv " + server);
        std::cout << "<< " << std::string_view(reply, n) << std::endl;
    }
}

} // namespace

int main(int argc, char** argv) {
    const chat::Program program{"tcp_chat_client", 7777, false,
                                "Sends each line of standard input to a chat server and prints its reply.", true};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
#if SOCKIT_EXAMPLES_TLS
        if (options.tls) {
            // Verified by default: the system's CAs (or only --ca's), and the server's name.
            auto context = sockit::TlsContext::client();
            if (!options.ca.empty()) {
                X509_STORE* only_these = ::X509_STORE_new(); // instead of the system's CAs
                if (only_these == nullptr) throw std::bad_alloc();
                ::SSL_CTX_set_cert_store(context.native_handle(), only_these);
                context.load_ca_file(options.ca);
            }
            sockit::TcpClient tcp(options.host, options.port);
            const std::string server = tcp.peer_address().to_string();
            const std::string& name = options.server_name.empty() ? options.host : options.server_name;
            sockit::TlsStream tls = sockit::TlsStream::client(context, std::move(tcp), name);
            tls.set_timeout(std::chrono::seconds(10)); // for the handshake
            tls.handshake();
            tls.set_timeout(std::nullopt);
            chat_with(tls, server);
            tls.shutdown(); // close_notify: the server sees a clean end
            return;
        }
#endif
        sockit::TcpClient client(options.host, options.port);
        chat_with(client, client.peer_address().to_string());
    });
}
