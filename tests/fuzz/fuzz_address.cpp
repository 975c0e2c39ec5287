// SPDX-License-Identifier: MIT
// Fuzz target: address and port parsing. Whatever the text, parsing either fails with
// an AddressError-class code or yields an address that prints and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sockit/address.hpp>

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}
bool is_address_error(const std::error_code& ec) {
    return ec == sockit::Errc::invalid_address || ec == sockit::Errc::invalid_port;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::error_code ec;

    // "host:port" and "[v6]:port" endpoints.
    sockit::Address a = sockit::Address::parse(text, ec);
    if (ec) {
        require(is_address_error(ec));
    } else {
        std::error_code again;
        sockit::Address b = sockit::Address::parse(a.to_string(), again);
        require(!again && b == a && b.to_string() == a.to_string());
    }

    // The text as a host with a fixed port, and as port text.
    sockit::Address h = sockit::Address::parse(text, 80, ec);
    if (ec) {
        require(is_address_error(ec));
    } else {
        std::error_code again;
        require(sockit::Address::parse(h.host(), 80, again) == h && !again);
    }
    std::uint16_t port = sockit::parse_port(text, ec);
    if (ec) {
        require(ec == sockit::Errc::invalid_port);
    } else {
        unsigned long value = 0;
        for (char c : text) {
            require(c >= '0' && c <= '9');
            value = value * 10 + static_cast<unsigned long>(c - '0');
        }
        require(value == port && !text.empty());
    }
    return 0;
}
