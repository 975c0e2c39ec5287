// SPDX-License-Identifier: MIT
// How TcpClient connects to a list of addresses: one after another, or RFC 8305 Happy Eyeballs.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sockit/address.hpp"
#include "sockit/connect_options.hpp"
#include "sockit/detail/ops.hpp"
#include "sockit/detail/saturate.hpp"
#include "sockit/detail/tcp_extras.hpp"
#include "sockit/error.hpp"
#include "sockit/socket.hpp"

namespace sockit::detail {

/// Addresses ordered as RFC 8305 section 4 asks: the first address's family first, then
/// alternating families, each family keeping the resolver's order.
inline std::vector<Address> interleave_families(const std::vector<Address>& addresses) {
    std::vector<Address> first, other, out;
    for (const Address& a : addresses) (a.family() == addresses.front().family() ? first : other).push_back(a);
    out.reserve(addresses.size());
    for (std::size_t i = 0; i < first.size() || i < other.size(); ++i) {
        if (i < first.size()) out.push_back(first[i]);
        if (i < other.size()) out.push_back(other[i]);
    }
    return out;
}

/// Connecting to a list of addresses; every failure is written down for the message.
class Connector {
public:
    Connector(const ConnectOptions& options, std::string& failures) : options_(options), failures_(failures) {}

    /// Tries each address in turn, each within the timeout.
    Socket one_by_one(const std::vector<Address>& addresses, std::error_code& ec) {
        for (const Address& address : addresses) {
            Socket s = open(address, ec);
            if (!ec && options_.timeout) s.set_timeout(*options_.timeout, ec);
            if (!ec) s.connect(address, ec);
            if (!ec) return s; // keeping the timeout, as Python's create_connection does
            fail(address, ec);
        }
        return {};
    }

    /// RFC 8305: attempts started `stagger` apart (at once when the previous one fails),
    /// raced with non-blocking connects and poll; the first to connect wins.
    Socket race(const std::vector<Address>& addresses, std::error_code& ec) {
        const std::vector<Address> order = interleave_families(addresses);
        const std::int64_t stagger = saturating_ns(options_.stagger).count();
        const std::int64_t limit = options_.timeout ? options_.timeout->count() : -1;
        std::vector<Attempt> live;
        std::vector<ops::pollfd_type> polled;
        std::size_t next = 0;
        std::int64_t next_start = now();
        for (;;) {
            if (next < order.size() && (live.empty() || now() >= next_start)) {
                const Address& address = order[next++];
                Socket s = open(address, ec);
                if (!ec) s.set_blocking(false, ec);
                if (!ec) s.connect(address, ec);
                if (!ec) return won(std::move(s), ec);
                if (is_in_progress(ec)) {
                    live.push_back({std::move(s), address, now()});
                    next_start = saturating_add(now(), stagger);
                } else {
                    fail(address, ec);
                    next_start = now(); // a quick failure starts the next attempt at once
                }
                continue;
            }
            if (live.empty()) break; // every address failed
            std::int64_t wake = next < order.size() ? next_start : std::numeric_limits<std::int64_t>::max();
            if (limit >= 0)
                for (const Attempt& a : live) wake = std::min(wake, saturating_add(a.started, limit));
            polled.clear();
            for (const Attempt& a : live) polled.push_back({a.socket.native_handle(), ops::poll_out, 0});
            ops::poll_many(polled.data(), polled.size(), wait_ms(wake), ec);
            if (ec) {
                if (is_interrupted(ec)) continue;
                return {};
            }
            std::int64_t t = now();
            for (std::size_t i = live.size(); i-- > 0;) {
                if (polled[i].revents != 0) {
                    ec = live[i].socket.pending_error();
                    if (!ec) return won(std::move(live[i].socket), ec); // the others close as `live` goes
                    fail(live[i].address, ec);
                    next_start = t;
                } else if (limit >= 0 && t >= saturating_add(live[i].started, limit)) {
                    ec = make_error_code(Errc::timed_out);
                    fail(live[i].address, ec);
                } else {
                    continue;
                }
                live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
        if (!ec) ec = make_error_code(Errc::timed_out);
        return {};
    }

private:
    struct Attempt {
        Socket socket;
        Address address;
        std::int64_t started;
    };

    const ConnectOptions& options_;
    std::string& failures_;

    static std::int64_t now() noexcept { return steady_now_ns(); }
    /// Milliseconds until `wake`, rounded up so that poll never returns early; -1: forever
    /// (`wake` is the largest time, which deadlines saturate to).
    static int wait_ms(std::int64_t wake) noexcept {
        if (wake == std::numeric_limits<std::int64_t>::max()) return -1;
        return poll_timeout_ms(wake, now());
    }

    /// A new socket for `address`, bound to the source address if one is set.
    Socket open(const Address& address, std::error_code& ec) {
        stage_.clear();
        const Address& source = options_.source;
        const bool has_source = source.family() != Family::unspecified;
        if (has_source && source.family() != address.family()) {
            ec = std::make_error_code(std::errc::address_family_not_supported);
            stage_ = "source address " + source.to_string() + " is of the other family: ";
            return {};
        }
        Socket s = open_stream(address.family(), options_.multipath, ec);
        if (!ec && options_.fast_open) enable_fast_open_connect(s, ec);
        if (!ec && has_source) {
            s.bind(source, ec);
            if (ec) stage_ = "bind " + source.to_string() + ": ";
        }
        return s;
    }

    /// The connected socket, in blocking mode or with the timeout, which it keeps.
    Socket won(Socket s, std::error_code& ec) {
        if (options_.timeout)
            s.set_timeout(*options_.timeout, ec);
        else
            s.set_blocking(true, ec);
        return ec ? Socket() : std::move(s);
    }

    void fail(const Address& address, const std::error_code& ec) {
        if (!failures_.empty()) failures_ += "; ";
        failures_ += address.to_string() + ": " + stage_ + ec.message();
        stage_.clear();
    }

    std::string stage_; // what failed before connect, for the message
};

} // namespace sockit::detail
