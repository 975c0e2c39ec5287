// SPDX-License-Identifier: MIT
// The document's TCP chat server, serving many clients at once (a thread each).
// For every message it prints `(ip, port):message` and replies 服务器收到了
// ("the server received it"), or with --echo sends the message back.
#include "common.hpp"

#include <list>
#include <mutex>

namespace {

/// One connected client and the thread that serves it.
struct Client {
    sockit::TcpStream stream;
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

void serve(Client& client, bool echo) {
    const std::string who = chat::peer_text(client.peer);
    try {
        char buf[4096];
        // recv returns 0 when the client has closed the connection: not a message.
        while (std::size_t n = client.stream.recv(buf, sizeof buf)) {
            std::string_view message(buf, n);
            say(who + ":" + std::string(message));
            client.stream.send_all(echo ? message : "服务器收到了");
        }
        say(who + " left");
    } catch (const sockit::Error& e) {
        say(who + " did not disconnect cleanly: " + e.what());
    }
    {
        // Close the connection now that the client has left, not when this thread is joined.
        // Under the lock: on a stop, another thread shuts every client's stream down.
        std::lock_guard<std::mutex> lock(clients_mutex);
        std::error_code ignored;
        client.stream.close(ignored);
    }
    client.done = true; // the accept loop joins this thread within a second
}

} // namespace

int main(int argc, char** argv) {
    const chat::Program program{"tcp_chat_server", 7777, true,
                                "Accepts chat clients; prints each message and replies 服务器收到了."};
    chat::Options options = chat::parse_command_line(argc, argv, program);

    return chat::run(program.name, [&] {
        sockit::ServerOptions listening;
        listening.backlog = 10; // the document's listen(10); SO_REUSEADDR is on by default
        sockit::TcpServer server(options.host, options.port, listening);
        std::list<Client> clients;

        // On SIGINT or SIGTERM: wake accept() and every client's recv().
        chat::SignalStop stop([&] {
            std::error_code ignored;
            server.shutdown(sockit::Shutdown::both, ignored);
            std::lock_guard<std::mutex> lock(clients_mutex);
            for (Client& c : clients) c.stream.shutdown(sockit::Shutdown::both, ignored);
        });
        say("listening on " + server.local_address().to_string());

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
            client.stream = std::move(stream);
            client.peer = peer;
            client.thread = std::thread(serve, std::ref(client), options.echo);
        }

        // No lock here: the list no longer changes, and on_stop needs the lock to wake the clients.
        for (Client& c : clients) c.thread.join();
        say("server stopped");
    });
}
