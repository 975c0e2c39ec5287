// SPDX-License-Identifier: MIT
// A second translation unit that includes the umbrella header (and each public
// header), so that the test binary fails to link if anything is defined non-inline.
// On Linux it includes the kernel's UDP header first: programs that use UDP_GRO or
// encapsulation do, and it cannot stand beside glibc's <netinet/udp.h>.
#ifdef __linux__
#include <linux/udp.h>
#endif
#include <sockit/address.hpp>
#include <sockit/connect.hpp>
#include <sockit/error.hpp>
#include <sockit/options.hpp>
#include <sockit/socket.hpp>
#include <sockit/sockit.hpp>
#include <sockit/stream.hpp>
#include <sockit/tcp.hpp>
#include <sockit/udp.hpp>
#include <sockit/unix.hpp>
#include <sockit/version.hpp>

namespace sockit_test {
// Uses a few inline functions so that their definitions are emitted in this TU too.
std::string odr_second_tu_probe() {
    return sockit::Address::loopback(sockit::Family::v6, 1).to_string() + sockit::sockit_category().name();
}
} // namespace sockit_test
