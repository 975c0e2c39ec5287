// SPDX-License-Identifier: MIT
// chat_load: a load client for chat_room. Opens N connections (non-blocking
// connects on one sockit::Poller), waits until the room has welcomed all of them,
// has each send M lines, and checks that every connection receives every other
// connection's lines exactly once, each prefixed with its sender's address, and
// never its own. Prints a summary with deliveries per second; exits 1 on any
// loss, duplicate, corruption or timeout.
//
//   chat_load [--host H] [--port P] [--connections N] [--lines M] [--window K] [--timeout S] [--slow-reader]
#include <sockit/sockit.hpp>

#include "chat_args.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sockit::Interest;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7777;
    std::size_t connections = 100;
    std::size_t lines = 10;
    std::size_t window = 100; // lines per connection in flight at once
    double timeout_s = 120;
    bool slow_reader = false;
};

constexpr std::size_t max_connecting = 512; // connects in flight at once

struct Conn {
    sockit::TcpStream stream;
    std::string name; // our local address, as the room names us
    bool connected = false;
    bool welcomed = false;
    std::string partial;      // received bytes after the last newline
    std::string out;          // lines not yet sent
    std::size_t sent = 0;     // bytes of `out` sent
    std::size_t received = 0; // other connections' lines received
    std::vector<bool> seen;   // [sender * lines + seq]
};

class Load {
public:
    explicit Load(const Options& o) : o_(o), poller_(1024), conns_(o.connections) {
        deadline_ = Clock::now() +
                    std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
    }

    int run() {
        sockit::TcpStream slow;
        if (o_.slow_reader) slow = open_slow_reader();

        auto t0 = Clock::now();
        connect_all();
        auto t1 = Clock::now();
        for (Conn& c : conns_) c.seen.assign(o_.connections * o_.lines, false);
        // Lines go out in rounds of --window per connection; a round starts when every
        // connection has received all lines of the rounds before (the room's queues
        // are bounded, so an unpaced burst would measure the bound, not the room).
        for (std::size_t first = 0; first < o_.lines; first += o_.window) {
            std::size_t end = std::min(o_.lines, first + o_.window);
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                Conn& c = conns_[i];
                c.out.clear();
                c.sent = 0;
                for (std::size_t seq = first; seq < end; ++seq)
                    c.out += std::to_string(i) + ' ' + std::to_string(seq) + '\n';
                poller_.modify(c.stream, Interest::both, i);
            }
            relay_round((o_.connections - 1) * end);
        }
        auto t2 = Clock::now();

        std::size_t deliveries = (o_.connections - 1) * o_.lines * conns_.size();
        double connect_s = std::chrono::duration<double>(t1 - t0).count();
        double relay_s = std::chrono::duration<double>(t2 - t1).count();
        std::cout << "chat_load: " << conns_.size() << " connections (" << poller_.backend() << "), " << o_.lines
                  << " lines each: all " << deliveries << " deliveries arrived exactly once\n"
                  << "  connect + welcome: " << connect_s << " s\n"
                  << "  relay: " << relay_s << " s, " << static_cast<double>(deliveries) / relay_s
                  << " messages/s delivered, " << static_cast<double>(conns_.size() * o_.lines) / relay_s
                  << " lines/s sent\n";
        if (o_.slow_reader) check_dropped(slow);
        return 0;
    }

private:
    /// Sends the queued lines and receives until every connection has `expected` lines.
    void relay_round(std::size_t expected) {
        std::size_t done = 0;
        while (done < conns_.size()) {
            poll_round([&](std::size_t i, const sockit::PollEvent& ev) {
                Conn& c = conns_[i];
                if ((ev.error || ev.hangup) && !ev.readable)
                    fail("connection " + std::to_string(i) + ": " + c.stream.pending_error().message());
                if (ev.writable && c.sent < c.out.size()) send_some(i, c);
                if (ev.readable) {
                    bool was_done = c.received == expected;
                    receive(i, c);
                    if (!was_done && c.received == expected) ++done;
                }
            });
        }
    }

    const Options& o_;
    sockit::Poller poller_;
    std::vector<Conn> conns_;
    Clock::time_point deadline_;
    char buf_[64 * 1024];

    [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(what); }

    template <class Handle>
    void poll_round(Handle&& handle) {
        if (Clock::now() > deadline_) fail("timed out after " + std::to_string(o_.timeout_s) + " s; " + progress());
        for (const sockit::PollEvent& ev : poller_.wait(std::chrono::milliseconds(200))) {
            handle(static_cast<std::size_t>(ev.tag), ev);
        }
    }

    std::string progress() const {
        std::size_t connected = 0, welcomed = 0, received = 0;
        for (const Conn& c : conns_) {
            connected += c.connected;
            welcomed += c.welcomed;
            received += c.received;
        }
        return std::to_string(connected) + " connected, " + std::to_string(welcomed) + " welcomed, " +
               std::to_string(received) + " of " + std::to_string((o_.connections - 1) * o_.lines * o_.connections) +
               " lines received";
    }

    sockit::Address server() const { return sockit::Address::resolve(o_.host, o_.port).front(); }

    /// Opens every connection without blocking, at most `max_connecting` at a time, and
    /// waits until the room has welcomed each (so that every one is in the room).
    void connect_all() {
        sockit::Address to = server();
        std::size_t next = 0, connecting = 0, welcomed = 0;
        while (welcomed < conns_.size()) {
            for (; next < conns_.size() && connecting < max_connecting; ++next, ++connecting) {
                sockit::Socket s(to.family(), sockit::SocketType::stream);
                s.set_blocking(false);
                s.set_option(sockit::NoDelay(true));
                std::error_code ec;
                s.connect(to, ec);
                if (ec && ec != std::errc::operation_in_progress)
                    fail("connect " + to.to_string() + ": " + ec.message());
                conns_[next].stream = sockit::TcpStream(std::move(s));
                poller_.add(conns_[next].stream, Interest::writable, next);
            }
            poll_round([&](std::size_t i, const sockit::PollEvent& ev) {
                Conn& c = conns_[i];
                if (!c.connected && (ev.writable || ev.error || ev.hangup)) {
                    if (std::error_code ec = c.stream.pending_error())
                        fail("connect " + to.to_string() + ": " + ec.message());
                    c.connected = true;
                    c.name = c.stream.local_address().to_string();
                    poller_.modify(c.stream, Interest::readable, i);
                } else if (ev.readable) {
                    receive(i, c);
                    if (c.welcomed) {
                        ++welcomed;
                        --connecting;
                    }
                }
            });
        }
    }

    void send_some(std::size_t i, Conn& c) {
        std::error_code ec;
        c.sent += c.stream.send(c.out.data() + c.sent, c.out.size() - c.sent, ec);
        if (ec && ec != std::errc::operation_would_block && ec != std::errc::resource_unavailable_try_again)
            fail("connection " + std::to_string(i) + " send: " + ec.message());
        if (c.sent == c.out.size()) poller_.modify(c.stream, Interest::readable, i);
    }

    void receive(std::size_t i, Conn& c) {
        std::error_code ec;
        std::size_t n = c.stream.recv(buf_, sizeof buf_, ec);
        if (ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again) return;
        if (ec) fail("connection " + std::to_string(i) + " recv: " + ec.message());
        if (n == 0) fail("connection " + std::to_string(i) + " (" + c.name + ") was closed by the room; " + progress());
        std::string_view data(buf_, n);
        for (;;) {
            auto newline = data.find('\n');
            if (newline == std::string_view::npos) break;
            if (c.partial.empty()) {
                check_line(i, c, data.substr(0, newline));
            } else {
                c.partial.append(data.substr(0, newline));
                check_line(i, c, c.partial);
                c.partial.clear();
            }
            data.remove_prefix(newline + 1);
        }
        c.partial.append(data);
    }

    /// Checks one line: "* welcome <name>" first, then "<sender name>: <sender> <seq>".
    void check_line(std::size_t i, Conn& c, std::string_view line) {
        auto bad = [&](const char* why) {
            fail("connection " + std::to_string(i) + " (" + c.name + "): " + why + ": \"" + std::string(line) + '"');
        };
        if (!c.welcomed) {
            if (line != "* welcome " + c.name) bad("expected the welcome line naming this connection");
            c.welcomed = true;
            return;
        }
        auto colon = line.find(": ");
        auto space = line.rfind(' ');
        if (colon == std::string_view::npos || space <= colon + 1) bad("malformed line");
        std::size_t sender = 0, seq = 0;
        if (!parse_number(line.substr(colon + 2, space - colon - 2), sender) ||
            !parse_number(line.substr(space + 1), seq) || sender >= conns_.size() || seq >= o_.lines)
            bad("malformed line");
        if (sender == i) bad("received its own line");
        if (line.substr(0, colon) != conns_[sender].name) bad("prefix is not the sender's address");
        auto bit = sender * o_.lines + seq;
        if (c.seen[bit]) bad("received twice");
        c.seen[bit] = true;
        ++c.received;
    }

    static bool parse_number(std::string_view text, std::size_t& out) {
        if (text.empty() || text.size() > 12) return false;
        out = 0;
        for (char ch : text) {
            if (ch < '0' || ch > '9') return false;
            out = out * 10 + static_cast<std::size_t>(ch - '0');
        }
        return true;
    }

    /// A connection with a tiny receive buffer that never reads during the run.
    sockit::TcpStream open_slow_reader() {
        sockit::Address to = server();
        sockit::Socket s(to.family(), sockit::SocketType::stream);
        s.set_option(sockit::ReceiveBufferSize(4096)); // before connect: it bounds the window
        s.set_timeout(std::chrono::seconds(10));
        s.connect(to);
        sockit::TcpStream stream(std::move(s));
        std::string line;
        char ch = 0;
        while (line.size() < 200 && stream.recv(&ch, 1) == 1 && ch != '\n') line += ch;
        if (line.rfind("* welcome ", 0) != 0) fail("slow reader: expected a welcome line, got \"" + line + '"');
        return stream;
    }

    /// The room must have disconnected the slow reader: what is buffered ends in EOF or a reset.
    void check_dropped(sockit::TcpStream& slow) {
        std::size_t total = 0;
        for (;;) {
            std::error_code ec;
            std::size_t n = slow.recv(buf_, sizeof buf_, ec);
            if (ec == std::errc::connection_reset || (!ec && n == 0)) break;
            if (ec == std::errc::timed_out)
                fail("slow reader: still connected after the run (" + std::to_string(total) +
                     " bytes read); the room should have dropped it");
            if (ec) fail("slow reader recv: " + ec.message());
            total += n;
        }
        std::cout << "  slow reader: disconnected by the room after " << total << " bytes\n";
    }
};

constexpr const char* usage =
    "usage: chat_load [--host H] [--port P] [--connections N] [--lines M] [--window K] [--timeout S]\n"
    "                 [--slow-reader]\n"
    "  Load and check a chat_room: N connections (default 100) each send M lines (default 10),\n"
    "  K at a time (default 100: each connection sends its next K lines once every connection\n"
    "  has received all earlier ones); every connection must receive every other one's lines\n"
    "  exactly once. --timeout bounds the run (default 120 s). --slow-reader adds a connection\n"
    "  that never reads, which the room must disconnect without holding the others back.\n"
    "  Defaults: --host 127.0.0.1 --port 7777.\n";

Options parse(int argc, char** argv) {
    Options o;
    chat_args::parse(
        argc, argv, usage, [&](const std::string& flag) { return flag == "--slow-reader" && (o.slow_reader = true); },
        [&](const std::string& name, const std::string& value) {
            if (name == "--host")
                o.host = value;
            else if (name == "--port")
                o.port = sockit::parse_port(value);
            else if (name == "--connections")
                o.connections = chat_args::positive(name, value);
            else if (name == "--lines")
                o.lines = chat_args::positive(name, value);
            else if (name == "--window")
                o.window = chat_args::positive(name, value);
            else if (name == "--timeout")
                o.timeout_s = static_cast<double>(chat_args::positive(name, value));
            else
                return false;
            return true;
        });
    if (o.connections < 2)
        throw std::invalid_argument("--connections " + std::to_string(o.connections) + ": need at least 2");
    return o;
}

} // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse(argc, argv);
        Load load(options);
        return load.run();
    } catch (const std::exception& e) {
        std::cerr << "chat_load: " << e.what() << '\n';
        return 1;
    }
}
