// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// The shape of a Poller loop (quoted in docs/concurrency.md). The loop runs forever, so
// the program only builds it and runs one non-blocking wait to show the calls work.
#include <sockit/sockit.hpp>

#include <chrono>
#include <optional>

namespace {
[[maybe_unused]] void serve(sockit::TcpServer& server) {

sockit::Poller poller;                       // epoll on Linux, poll(2) elsewhere
server.set_blocking(false);
poller.add(server, sockit::Interest::readable, 0);
for (;;) {
    for (const sockit::PollEvent& ev : poller.wait(std::nullopt)) {
        if (ev.tag == 0) { /* accept until would-block, add each with its own tag */ }
        else if (ev.readable) { /* recv once; 0 means the peer closed: remove, then close */ }
        else if (ev.writable) { /* send the queued rest */ }
    }
}

}
} // namespace

int main() {
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::Poller poller;
    poller.add(server, sockit::Interest::readable, 0);
    auto events = poller.wait(std::chrono::milliseconds(0)); // nothing is pending yet
    return events.begin() == events.end() ? 0 : 1;
}
