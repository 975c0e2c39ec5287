// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/udp.md: many datagrams per receive with recv_coalesced. Exit status 0 when all
// 1,000 datagrams arrived whole and in order.
#include <sockit/sockit.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

int main() {
    sockit::UdpSocket receiver("127.0.0.1", 0);
    receiver.set_option(sockit::ReceiveBufferSize(4 << 20));
    receiver.set_timeout(std::chrono::seconds(3));
#ifdef __linux__
    receiver.set_option(sockit::ReceiveOffload(true)); // from now on, receive with recv_coalesced only
#endif

    std::vector<std::string> readings;
    std::vector<sockit::ConstBuffer> datagrams;
    for (int i = 0; i < 1000; ++i) {
        char text[32];
        std::snprintf(text, sizeof text, "reading %06d", i);
        readings.emplace_back(text);
    }
    for (const std::string& reading : readings) datagrams.push_back(sockit::buffer(reading));
    sockit::UdpSocket sender(sockit::Family::v4);
    sender.send_batch(datagrams.data(), datagrams.size(), receiver.local_address());

    static char buffer[65536]; // the most one receive can bring
    std::size_t received = 0, calls = 0;
    bool in_order = true;
    while (received < readings.size()) {
        sockit::CoalescedDatagrams got = receiver.recv_coalesced(sockit::buffer(buffer, sizeof buffer));
        ++calls;
        for (std::string_view datagram : got) { // each datagram, in the order sent
            in_order = in_order && received < readings.size() && datagram == readings[received];
            ++received;
        }
    }
    std::cout << received << " datagrams " << (in_order ? "in order" : "out of order") << " in " << calls
              << " receives\n";
    return in_order ? 0 : 1;
}
