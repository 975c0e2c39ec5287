// SPDX-License-Identifier: MIT
// chat_room: a single-threaded TCP chat room on sockit::Poller.
//
// Every newline-terminated line a client sends goes to every other client (never
// back to the sender) as "<sender address>: <line>\n", e.g. "127.0.0.1:50312: hi".
// A new client first receives "* welcome <its address>\n". Lines are kept once,
// in a shared log; each client has a position in it. A client that falls more
// than --max-queue bytes behind (a slow reader) is disconnected, so it never
// stalls the room. SIGINT and SIGTERM stop the room through Poller::wake.
//
//   chat_room [--host H] [--port P] [--max-queue BYTES] [--quiet]
#include <sockit/sockit.hpp>

#include "chat_args.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sockit::Interest;

struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 7777;
    std::size_t max_queue = 8 * 1024 * 1024; // bytes a client may fall behind (the log is shared)
    std::size_t max_line = 4096;             // longer lines disconnect their sender
    bool quiet = false;
};

constexpr std::uint64_t listener_tag = 0;
constexpr std::size_t read_size = 64 * 1024;
constexpr std::size_t write_size = 64 * 1024;
constexpr std::size_t max_round_input = 256 * 1024; // bytes read per round, at most

/// One relayed line, kept until no client's position is at or before it.
struct Message {
    std::string text;     // "<sender>: <line>\n"
    std::uint64_t sender; // the sending client's id
    std::uint64_t start;  // position of the first byte in the room's byte stream
    std::size_t waiting;  // clients whose next message is this one
};

struct Client {
    sockit::TcpStream stream;
    std::string name;           // the peer's address, "ip:port"
    std::uint64_t id = 0;       // unique for the room's lifetime (slots are reused)
    std::string partial;        // received bytes after the last newline
    std::uint64_t next = 0;     // sequence number of the next message to send it
    std::size_t offset = 0;     // bytes of that message already sent
    bool write_blocked = false; // waiting for writability (registered for both)
};

class Room {
public:
    Room(const Options& options, sockit::Poller& poller)
        : options_(options), poller_(poller), server_(options.host, options.port, sockit::ServerOptions{4096}) {
        server_.set_blocking(false);
        poller_.add(server_, Interest::readable, listener_tag);
    }

    std::uint16_t port() const { return server_.port(); }
    std::size_t clients() const { return count_; }

    /// One round of the loop: wait, handle every event, send what the round produced.
    /// Returns false once `stop` is set (the signal handler also wakes the wait).
    bool run_once(const volatile std::sig_atomic_t& stop) {
        sockit::PollEvents events = poller_.wait(std::nullopt);
        if (stop != 0) return false; // wake() only ends the wait; the flag says why
        round_input_ = 0;
        for (const sockit::PollEvent& ev : events) {
            if (ev.tag == listener_tag) {
                accept_all();
                continue;
            }
            Client* c = client(ev.tag);
            if (c == nullptr) continue; // dropped earlier in this round
            if (ev.readable || ev.hangup || ev.error) receive(ev.tag, *c);
            if (ev.writable && client(ev.tag) != nullptr) flush(ev.tag, *c);
        }
        if (appended_) {
            appended_ = false;
            for (std::size_t slot = 1; slot < slots_.size(); ++slot) {
                Client* c = client(slot);
                if (c != nullptr && !c->write_blocked) flush(slot, *c);
            }
            drop_laggards();
        }
        trim();
        return true;
    }

private:
    const Options& options_;
    sockit::Poller& poller_;
    sockit::TcpServer server_;
    std::vector<std::unique_ptr<Client>> slots_{1}; // slot 0 is the listener's tag
    std::vector<std::size_t> free_;
    std::vector<std::size_t> blocked_; // slots that were write-blocked (some may no longer be)
    std::size_t count_ = 0;
    std::uint64_t next_id_ = 1;
    bool accepting_ = true;
    bool appended_ = false;
    std::size_t round_input_ = 0; // bytes read this round

    std::deque<Message> log_;
    std::uint64_t first_seq_ = 0;    // sequence number of log_.front()
    std::uint64_t end_bytes_ = 0;    // bytes ever appended to the log
    std::size_t waiting_at_end_ = 0; // clients that have been sent everything
    std::string scratch_;

    std::uint64_t end_seq() const { return first_seq_ + log_.size(); }
    Message& at(std::uint64_t seq) { return log_[static_cast<std::size_t>(seq - first_seq_)]; }

    /// The count of clients positioned at `seq` (end_seq(): caught up).
    std::size_t& waiting(std::uint64_t seq) { return seq == end_seq() ? waiting_at_end_ : at(seq).waiting; }

    /// Moves `c`'s position to `seq`, keeping the counts that `trim` relies on.
    void move_to(Client& c, std::uint64_t seq) {
        if (seq == c.next) return;
        --waiting(c.next);
        ++waiting(seq);
        c.next = seq;
    }

    Client* client(std::uint64_t tag) {
        return tag < slots_.size() ? slots_[static_cast<std::size_t>(tag)].get() : nullptr;
    }

    void log(const std::string& line) const {
        if (!options_.quiet) std::cout << line << '\n';
    }

    void accept_all() {
        for (;;) {
            std::error_code ec;
            auto [stream, peer] = server_.accept(ec);
            if (ec) {
                if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system) {
                    // Out of descriptors: stop accepting until a client leaves, instead of
                    // spinning on a listener that stays readable.
                    std::cerr << "chat_room: accept: " << ec.message() << " (" << count_
                              << " clients); pausing accepts\n";
                    poller_.modify(server_, Interest::none, listener_tag);
                    accepting_ = false;
                } else if (ec != std::errc::operation_would_block && ec != std::errc::resource_unavailable_try_again &&
                           ec != std::errc::connection_aborted) {
                    std::cerr << "chat_room: accept: " << ec.message() << '\n';
                }
                return;
            }
            join(std::move(stream), peer.to_string());
        }
    }

    void join(sockit::TcpStream stream, std::string name) {
        std::error_code ec;
        stream.set_blocking(false, ec);
        if (!ec) stream.set_no_delay(true, ec); // lines are small: send them now, not after an ACK
        std::string welcome = "* welcome " + name + "\n";
        // A new socket's send buffer is empty: the short greeting goes out whole.
        if (!ec && stream.send(welcome, ec) != welcome.size() && !ec) ec = sockit::Errc::end_of_stream;
        if (ec) return;
        std::size_t slot;
        if (free_.empty()) {
            slot = slots_.size();
            slots_.emplace_back();
        } else {
            slot = free_.back();
            free_.pop_back();
        }
        auto c = std::make_unique<Client>();
        c->stream = std::move(stream);
        c->name = std::move(name);
        c->id = next_id_++;
        c->next = end_seq();
        poller_.add(c->stream, Interest::readable, slot, ec);
        if (ec) {
            std::cerr << "chat_room: poller add: " << ec.message() << '\n';
            free_.push_back(slot);
            return;
        }
        ++waiting_at_end_;
        log("+ " + c->name + " joined (" + std::to_string(count_ + 1) + " here)");
        slots_[slot] = std::move(c);
        ++count_;
    }

    void leave(std::size_t slot, const std::string& why) {
        Client& c = *slots_[slot];
        log("- " + c.name + " left (" + why + ")");
        --waiting(c.next);
        poller_.remove(c.stream);
        slots_[slot].reset(); // closes the socket
        free_.push_back(slot);
        --count_;
        if (!accepting_) {
            poller_.modify(server_, Interest::readable, listener_tag);
            accepting_ = true;
        }
    }

    /// Reads once from `c` and relays its complete lines. Each round reads a bounded
    /// amount (level-triggered readiness brings the rest back next round), so that a
    /// burst of input cannot put every client far behind before anything is sent.
    void receive(std::size_t slot, Client& c) {
        std::size_t budget = std::min(max_round_input, options_.max_queue / 8 + 1);
        if (round_input_ >= budget) return;
        char buf[read_size];
        std::error_code ec;
        std::size_t n = c.stream.recv(buf, sizeof buf, ec);
        if (ec == std::errc::operation_would_block || ec == std::errc::resource_unavailable_try_again) return;
        if (ec) return leave(slot, ec.message());
        if (n == 0) return leave(slot, "closed");
        round_input_ += n;
        std::string_view data(buf, n);
        for (;;) {
            auto newline = data.find('\n');
            if (newline == std::string_view::npos) break;
            std::string_view line = data.substr(0, newline);
            if (c.partial.empty()) {
                append(c, line);
            } else {
                c.partial.append(line);
                append(c, c.partial);
                c.partial.clear();
            }
            data.remove_prefix(newline + 1);
        }
        c.partial.append(data);
        if (c.partial.size() > options_.max_line) leave(slot, "line longer than " + std::to_string(options_.max_line));
    }

    void append(const Client& from, std::string_view line) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (count_ < 2) return; // nobody to tell
        std::string text;
        text.reserve(from.name.size() + 3 + line.size());
        text.append(from.name).append(": ").append(line).push_back('\n');
        std::uint64_t start = end_bytes_;
        end_bytes_ += text.size();
        log_.push_back(Message{std::move(text), from.id, start, waiting_at_end_}); // caught-up clients wait for it
        waiting_at_end_ = 0;
        appended_ = true;
    }

    /// Sends `c` what it has not had yet, up to what its socket takes.
    void flush(std::size_t slot, Client& c) {
        for (;;) {
            scratch_.clear();
            std::size_t offset = c.offset;
            for (std::uint64_t seq = c.next; seq < end_seq() && scratch_.size() < write_size; ++seq) {
                const Message& m = at(seq);
                if (m.sender != c.id) scratch_.append(m.text, offset, std::string::npos);
                offset = 0;
            }
            if (scratch_.empty()) break;
            std::error_code ec;
            std::size_t n = c.stream.send(scratch_, ec);
            if (ec && ec != std::errc::operation_would_block && ec != std::errc::resource_unavailable_try_again)
                return leave(slot, ec.message());
            advance(c, n);
            if (n < scratch_.size()) {
                if (!c.write_blocked) {
                    c.write_blocked = true;
                    blocked_.push_back(slot);
                    poller_.modify(c.stream, Interest::both, slot);
                }
                return;
            }
        }
        move_to(c, end_seq()); // only its own lines may be left
        c.offset = 0;
        if (c.write_blocked) {
            c.write_blocked = false;
            poller_.modify(c.stream, Interest::readable, slot);
        }
    }

    /// Moves `c`'s position past `n` sent bytes (and past its own lines).
    void advance(Client& c, std::size_t n) {
        std::uint64_t next = c.next;
        for (; next < end_seq(); ++next) {
            const Message& m = at(next);
            if (m.sender == c.id) continue;
            std::size_t left = m.text.size() - c.offset;
            if (n < left) {
                c.offset += n;
                break;
            }
            n -= left;
            c.offset = 0;
            if (n == 0) {
                ++next;
                break;
            }
        }
        move_to(c, next);
    }

    /// Disconnects write-blocked clients that fell more than --max-queue bytes behind.
    void drop_laggards() {
        std::size_t kept = 0;
        for (std::size_t slot : blocked_) {
            Client* c = client(slot);
            if (c == nullptr || !c->write_blocked) continue;
            std::uint64_t position = c->next < end_seq() ? at(c->next).start + c->offset : end_bytes_;
            if (end_bytes_ - position > options_.max_queue) {
                leave(slot, "too slow: more than " + std::to_string(options_.max_queue) + " bytes behind");
                continue;
            }
            blocked_[kept++] = slot;
        }
        blocked_.resize(kept);
    }

    /// Forgets the lines no client needs any more: those before every client's position.
    void trim() {
        while (!log_.empty() && log_.front().waiting == 0) {
            log_.pop_front();
            ++first_seq_;
        }
    }
};

volatile std::sig_atomic_t stop_requested = 0;
sockit::Poller* room_poller = nullptr;

extern "C" void on_signal(int) {
    int saved = errno;
    stop_requested = 1;
    std::error_code ignored;
    if (room_poller != nullptr) room_poller->wake(ignored);
    errno = saved;
}

constexpr const char* usage = "usage: chat_room [--host H] [--port P] [--max-queue BYTES] [--quiet]\n"
                              "  A chat room: each line a client sends goes to every other client as\n"
                              "  \"<sender ip:port>: <line>\". Defaults: --host 127.0.0.1 --port 7777 (0: any free\n"
                              "  port), --max-queue 8388608 (a client further behind is disconnected).\n"
                              "  --quiet: do not print joins and leaves. Stop with Ctrl-C (SIGINT) or SIGTERM.\n";

Options parse(int argc, char** argv) {
    Options o;
    chat_args::parse(
        argc, argv, usage, [&](const std::string& flag) { return flag == "--quiet" && (o.quiet = true); },
        [&](const std::string& name, const std::string& value) {
            if (name == "--host")
                o.host = value;
            else if (name == "--port")
                o.port = sockit::parse_port(value);
            else if (name == "--max-queue")
                o.max_queue = chat_args::positive(name, value);
            else
                return false;
            return true;
        });
    return o;
}

} // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse(argc, argv);
        sockit::Poller poller(1024);
        Room room(options, poller);
        room_poller = &poller;
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
        std::cout << "chat_room: listening on " << options.host << ':' << room.port() << " (" << poller.backend() << ")"
                  << std::endl;
        while (room.run_once(stop_requested)) {}
        std::cout << "chat_room: stopped by signal with " << room.clients() << " clients" << std::endl;
        room_poller = nullptr;
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "chat_room: " << e.what() << '\n';
        return 1;
    }
}
