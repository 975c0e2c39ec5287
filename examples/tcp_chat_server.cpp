// SPDX-License-Identifier: MIT
// The document's TCP chat server, serving many clients at once (a thread each).
// For every message it prints `(ip, port):message` and replies 服务器收到了
// ("the server received it"), or with --echo sends the message back.
// With --cert and --key it speaks TLS: each client's handshake runs in that client's
// thread under a timeout, so a silent or hostile client never holds up the others.
#include "common.hpp"

#include <list>
#include <mutex>

namespace {

/// One connected client and the thread that serves it.
struct Client {
    sockit::TcpStream stream; // a plain chat
#if SOCKIT_EXAMPLES_TLS
    sockit::TlsStream tls; // a TLS chat: the accepted stream, wrapped
#endif
    sockit::Address peer;
    std::atomic<bool> done{false};
    std::thread thread;
};

std::mutex output_mutex;
std::mutex clients_mutex; // guards the list of clients, and a client's stream while it is closed

void say(const std::string& line) {
    std::lock_guard<std::mutex> lock(output_mutex);
    std::cout << line << std::endl;
}

/// How long a client has to complete its TLS handshake.
constexpr std::chrono::seconds handshake_timeout(5);

/// Prints each message and replies, until the client leaves.
template <class Stream>
void chat(Stream& stream, const std::string& who, bool echo) {
    char buf[4096];
    // recv returns 0 when the client has closed the connection: not a message.
    while (std::size_t n = stream.recv(buf, sizeof buf)) {
        std::string_view message(buf, n);
        say(who + ":" + std::string(message));
        stream.send_all(echo ? message : "服务器收到了");
    }
    say(who + " left");
}

void serve(Client& client, bool echo) {
    const std::string who = chat::peer_text(client.peer);
    try {
#if SOCKIT_EXAMPLES_TLS
        if (client.tls) {
            bool ready = false;
            try {
                client.tls.set_timeout(handshake_timeout);
                client.tls.handshake();
                client.tls.set_timeout(std::nullopt); // then, as a plain chat, no timeout
                ready = true;
            } catch (const sockit::Error& e) {
                say(who + " TLS handshake failed: " + e.code().message());
            }
            if (ready) chat(client.tls, who, echo);
        } else
#endif
            chat(client.stream, who, echo);
    } catch (const sockit::Error& e) {
        say(who + " did not disconnect cleanly: " + e.what());
    }
    {
        // Close the connection now that the client has left, not when this thread is joined.
        // Under the lock: on a stop, another thread shuts every client's stream down.
        std::lock_guard<std::mutex> lock(clients_mutex);
        std::error_code ignored;
        client.stream.close(ignored);
#if SOCKIT_EXAMPLES_TLS
        client.tls.close(ignored);
#endif
    }
    client.done = true; // the accept loop joins this thread within a second
}

/// Wakes a client's thread from its recv (or handshake): shuts its socket down.
void wake(Client& client) {
    std::error_code ignored;
    client.stream.shutdown(sockit::Shutdown::both, ignored);
#if SOCKIT_EXAMPLES_TLS
    if (client.tls) sockit::SocketRef(client.tls.native_handle()).shutdown(sockit::Shutdown::both, ignored);
#endif
}

} // namespace

int main(int argc, char** argv) {
    const chat::Program program{"tcp_chat_server", 7777, true,
                                "Accepts chat clients; prints each message and replies 服务器收到了.", true};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
#if SOCKIT_EXAMPLES_TLS
        // Read and checked before listening: an unreadable file or a key that does not match
        // the certificate ends the program with one line naming the file.
        std::optional<sockit::TlsContext> tls;
        if (!options.cert.empty()) tls = sockit::TlsContext::server(options.cert, options.key);
#endif
        sockit::ServerOptions listening;
        listening.backlog = 10; // the document's listen(10); SO_REUSEADDR is on by default
        sockit::TcpServer server(options.host, options.port, listening);
        std::list<Client> clients;

        // On SIGINT or SIGTERM: wake accept() and every client's recv().
        chat::SignalStop stop([&] {
            std::error_code ignored;
            server.shutdown(sockit::Shutdown::both, ignored);
            std::lock_guard<std::mutex> lock(clients_mutex);
            for (Client& c : clients) wake(c);
        });
        bool secure = false;
#if SOCKIT_EXAMPLES_TLS
        secure = tls.has_value();
#endif
        say("listening on " + server.local_address().to_string() + (secure ? " (TLS)" : ""));

        // Joins the threads of clients that have left and forgets them.
        auto forget_finished = [&] {
            std::lock_guard<std::mutex> lock(clients_mutex);
            clients.remove_if([](Client& c) { // `done` read once: it may turn true meanwhile
                if (!c.done) return false;
                c.thread.join();
                return true;
            });
        };
        // Waits for a client at most a second at a time, so that the threads of clients who left
        // are joined even when no other client comes. Accepted streams have no timeout: an idle
        // client is never dropped.
        server.set_timeout(std::chrono::seconds(1));
        for (;;) {
            std::error_code ec;
            auto [stream, peer] = server.accept(ec);
            if (stop.stopped()) break;
            forget_finished();
            if (ec == sockit::Errc::timed_out) continue;
            if (ec) { // e.g. out of descriptors: wait a little for clients to leave, keep serving
                say("accept: " + ec.message());
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
            say(chat::peer_text(peer) + " connected");
            std::lock_guard<std::mutex> lock(clients_mutex);
            if (stop.stopped()) break; // the stop came after accept: this client is not served
            Client& client = clients.emplace_back();
#if SOCKIT_EXAMPLES_TLS
            if (tls) // only wraps it: the handshake runs in the client's thread
                client.tls = sockit::TlsStream::server(*tls, std::move(stream));
            else
#endif
                client.stream = std::move(stream);
            client.peer = peer;
            client.thread = std::thread(serve, std::ref(client), options.echo);
        }

        // No lock here: the list no longer changes, and on_stop needs the lock to wake the clients.
        for (Client& c : clients) c.thread.join();
        say("server stopped");
    });
}
