// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/udp.md: many datagrams per system call with send_batch and recv_batch. Exit status 0
// when all 1,000 datagrams arrived whole and in order.
#include <sockit/sockit.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

int main() {
    sockit::UdpSocket receiver("127.0.0.1", 0);
    receiver.set_option(sockit::ReceiveBufferSize(4 << 20)); // room for the whole burst
    receiver.set_timeout(std::chrono::seconds(3));

    std::vector<std::string> readings;
    for (int i = 0; i < 1000; ++i) {
        char text[32];
        std::snprintf(text, sizeof text, "reading %06d", i);
        readings.emplace_back(text);
    }

    std::vector<sockit::ConstBuffer> datagrams;
    for (const std::string& reading : readings) datagrams.push_back(sockit::buffer(reading));
    sockit::UdpSocket sender(sockit::Family::v4);
    sender.send_batch(datagrams.data(), datagrams.size(), receiver.local_address());

    static char storage[64][2048];
    sockit::DatagramSlot slots[64];
    for (int i = 0; i < 64; ++i) slots[i].buffer = sockit::buffer(storage[i]);
    std::size_t received = 0;
    bool in_order = true;
    while (received < readings.size()) {
        std::size_t n = receiver.recv_batch(slots, 64); // waits for one, takes all that are there
        for (std::size_t i = 0; i < n; ++i, ++received)
            in_order = in_order && std::string_view(storage[i], slots[i].size) == readings[received];
    }
    std::cout << received << " datagrams " << (in_order ? "in order" : "out of order") << '\n';
    return in_order ? 0 : 1;
}
