// SPDX-License-Identifier: MIT
// The one rule by which servers and UDP sockets turn a host and a port into the address
// they bind.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {

/// Names the input that made resolving `host` and `port` fail, for messages.
inline std::string resolve_context(std::string_view host, int port, const std::error_code& ec) {
    return ec == Errc::invalid_port ? "port " + std::to_string(port) : "resolve " + quoted(host);
}

/**
 * The address a socket binds for `host` and `port`: numeric text as it is (`""` is the IPv4
 * wildcard), or a host name resolved to its addresses of `family` (any family if
 * unspecified), which must be exactly one: a socket binds one address, and picking one of
 * several silently would leave clients of the others refused. Several addresses set
 * `Errc::ambiguous_host`. On error, `context` says which input failed and why.
 */
inline Address bind_address(std::string_view host, int port, Family family, std::error_code& ec, std::string& context) {
    std::vector<Address> found = Address::resolve(host, port, family, ec);
    if (ec) {
        context = resolve_context(host, port, ec);
        return {};
    }
    std::vector<Address> all; // without the repeats a resolver may give (one per socket type, say)
    for (const Address& a : found)
        if (std::find(all.begin(), all.end(), a) == all.end()) all.push_back(a);
    if (all.size() == 1) return all.front();
    ec = make_error_code(Errc::ambiguous_host);
    context = "bind " + quoted(host) + " (it has " + std::to_string(all.size()) + " addresses:";
    for (const Address& a : all) context += " " + a.host();
    context += "; pass one of them, or a family)";
    return {};
}

} // namespace sockit::detail
