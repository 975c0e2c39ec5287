// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// Sizing a UDP receive buffer so that bursts are not lost (quoted in docs/benchmarks.md).
#include <sockit/sockit.hpp>

#include <iostream>

int main() {
    sockit::UdpSocket rx("127.0.0.1", 0);
    rx.set_option(sockit::ReceiveBufferSize(64 << 20)); // capped by net.core.rmem_max ...
    int size = 64 << 20;                                 // ... which root can lift:
    std::error_code ec;
    rx.socket().set_option(SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size, ec);
    // Linux reports twice the size asked for (the kernel's bookkeeping is included).
    std::cout << "receive buffer: " << rx.get_option<sockit::ReceiveBufferSize>().value() << " bytes"
              << (ec ? " (SO_RCVBUFFORCE refused: " + ec.message() + ")" : std::string()) << '\n';
    return rx.get_option<sockit::ReceiveBufferSize>().value() > 0 ? 0 : 1;
}
