// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/multicast.md "Choosing an interface": lists the host's interfaces and their addresses, and
// picks the first up, multicast-capable one that is not the loopback. Exit status 0 when the
// loopback interface was listed with 127.0.0.1.
#include <sockit/sockit.hpp>

#include <iostream>

int main() {
    std::error_code ec;
    std::vector<sockit::NetworkInterface> interfaces = sockit::network_interfaces(ec);
    if (ec) { // Windows: function_not_supported
        std::cerr << "network_interfaces: " << ec.message() << '\n';
        return 0;
    }
    bool loopback_seen = false;
    for (const sockit::NetworkInterface& i : interfaces) {
        std::cout << i.index << ' ' << i.name << (i.is_up() ? " up" : " down")
                  << (i.supports_multicast() ? " multicast" : "") << '\n';
        for (const sockit::InterfaceAddress& a : i.addresses) {
            std::cout << "    " << a.address.host() << '/' << a.prefix_length << '\n';
            loopback_seen |= i.is_loopback() && a.address.host() == "127.0.0.1";
        }
    }
    for (const sockit::NetworkInterface& i : interfaces)
        if (i.is_up() && i.supports_multicast() && !i.is_loopback()) {
            std::cout << "multicast would leave by " << i.name << " (index " << i.index << ")\n";
            break;
        }
    return loopback_seen ? 0 : 1;
}
