// SPDX-License-Identifier: MIT
// sockit_stress_sender HOST PORT: connects and sends echo-protocol messages without
// end, never reading the replies, until it is killed. Prints "sending" once the first
// message is out and its echo is waiting unread: from then on the kernel ends the
// connection with a reset when the process dies (unread data at close), so the server
// always sees an error. The fault tests kill it with SIGKILL in the middle of a transfer.
#include "protocol.hpp"

#include <sockit/sockit.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: sockit_stress_sender HOST PORT\n");
        return 2;
    }
    try {
        sockit::TcpClient client(argv[1], sockit::parse_port(argv[2]));
        stress::Random random(7);
        std::vector<char> body(60000);
        for (std::uint32_t sequence = 0;; ++sequence) {
            stress::Header header;
            header.length = static_cast<std::uint32_t>(body.size());
            header.sequence = sequence;
            random.fill(body.data(), body.size());
            header.sum = stress::checksum(body.data(), body.size());
            client.send_all({sockit::buffer(&header, sizeof header), sockit::buffer(body.data(), body.size())});
            if (sequence == 0) {
                char first;
                // Wait for the echo without taking it: it stays unread until the end.
                if (::recv(client.native_handle(), &first, 1, MSG_PEEK) != 1) {
                    std::fprintf(stderr, "sockit_stress_sender: no echo came back\n");
                    return 1;
                }
                std::printf("sending\n");
                std::fflush(stdout);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sockit_stress_sender: %s\n", e.what());
        return 1;
    }
}
