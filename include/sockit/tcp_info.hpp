// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "sockit/detail/platform.hpp"

#ifdef __linux__
namespace sockit {

/// A TCP connection's state, as the system's TCP_INFO reports it (Linux's numbering).
enum class TcpState : std::uint8_t {
    established = 1,
    syn_sent,
    syn_received,
    fin_wait1,
    fin_wait2,
    time_wait,
    closed,
    close_wait,
    last_ack,
    listen,
    closing,
};

namespace detail {
/// The kernel's `struct tcp_info` as of Linux 5.5 (the ABI only grows at its end). glibc's
/// <netinet/tcp.h> stops at `total_retrans` and <linux/tcp.h> cannot be included beside it, so
/// the layout is written out here and checked against glibc's for the part both have.
struct TcpInfoData {
    std::uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, flags;
    std::uint32_t rto, ato, snd_mss, rcv_mss;
    std::uint32_t unacked, sacked, lost, retrans, fackets;
    std::uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
    std::uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
    std::uint32_t rcv_rtt, rcv_space;
    std::uint32_t total_retrans;
    std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received; // Linux 4.1
    std::uint32_t segs_out, segs_in;
    std::uint32_t notsent_bytes, min_rtt, data_segs_in, data_segs_out;
    std::uint64_t delivery_rate;
    std::uint64_t busy_time, rwnd_limited, sndbuf_limited;
    std::uint32_t delivered, delivered_ce;
    std::uint64_t bytes_sent, bytes_retrans; // Linux 4.19
    std::uint32_t dsack_dups, reord_seen;
    std::uint32_t rcv_ooopack, snd_wnd; // Linux 5.4, 5.5
};
static_assert(offsetof(TcpInfoData, rtt) == offsetof(::tcp_info, tcpi_rtt));
static_assert(offsetof(TcpInfoData, total_retrans) == offsetof(::tcp_info, tcpi_total_retrans));
static_assert(offsetof(TcpInfoData, bytes_acked) == 120);
static_assert(offsetof(TcpInfoData, bytes_sent) == 200);
} // namespace detail

/**
 * TCP_INFO (Linux, read only): what the system knows of a TCP connection — its state, round-trip
 * time, congestion window, retransmissions and bytes acknowledged.
 * @code
 * sockit::TcpInfo info = stream.get_option<sockit::TcpInfo>();
 * std::cout << info.round_trip_time().count() << " us, cwnd " << info.congestion_window() << '\n';
 * @endcode
 * Fields that an older kernel does not report read as `std::nullopt`.
 */
class TcpInfo {
public:
    /// Nothing read yet (every field zero).
    TcpInfo() noexcept = default;

    /// The connection's state.
    TcpState state() const noexcept { return static_cast<TcpState>(data_.state); }
    /// The smoothed round-trip time.
    std::chrono::microseconds round_trip_time() const noexcept { return std::chrono::microseconds(data_.rtt); }
    /// The round-trip time's mean deviation.
    std::chrono::microseconds round_trip_time_variance() const noexcept {
        return std::chrono::microseconds(data_.rttvar);
    }
    /// The retransmission timeout.
    std::chrono::microseconds retransmission_timeout() const noexcept { return std::chrono::microseconds(data_.rto); }
    /// The congestion window, in segments.
    std::uint32_t congestion_window() const noexcept { return data_.snd_cwnd; }
    /// The slow-start threshold, in segments.
    std::uint32_t slow_start_threshold() const noexcept { return data_.snd_ssthresh; }
    /// The maximum segment size this side sends.
    std::uint32_t send_mss() const noexcept { return data_.snd_mss; }
    /// The maximum segment size the peer sends.
    std::uint32_t receive_mss() const noexcept { return data_.rcv_mss; }
    /// Segments sent and not yet acknowledged.
    std::uint32_t unacknowledged() const noexcept { return data_.unacked; }
    /// Segments the system believes lost.
    std::uint32_t lost() const noexcept { return data_.lost; }
    /// Segments retransmitted over the connection's life.
    std::uint32_t retransmissions() const noexcept { return data_.total_retrans; }
    /// The path's MTU.
    std::uint32_t path_mtu() const noexcept { return data_.pmtu; }
    /// Bytes of this side's data that the peer acknowledged (Linux 4.1).
    std::optional<std::uint64_t> bytes_acked() const noexcept { return field(&detail::TcpInfoData::bytes_acked); }
    /// Bytes of the peer's data received (Linux 4.1).
    std::optional<std::uint64_t> bytes_received() const noexcept { return field(&detail::TcpInfoData::bytes_received); }
    /// Bytes of data sent, retransmissions included (Linux 4.19).
    std::optional<std::uint64_t> bytes_sent() const noexcept { return field(&detail::TcpInfoData::bytes_sent); }
    /// Bytes of data retransmitted (Linux 4.19).
    std::optional<std::uint64_t> bytes_retransmitted() const noexcept {
        return field(&detail::TcpInfoData::bytes_retrans);
    }
    /// Segments sent and received, all kinds (Linux 4.2).
    std::optional<std::uint32_t> segments_sent() const noexcept { return field(&detail::TcpInfoData::segs_out); }
    /// Segments received, all kinds (Linux 4.2).
    std::optional<std::uint32_t> segments_received() const noexcept { return field(&detail::TcpInfoData::segs_in); }
    /// True if data went in the SYN and the peer acknowledged it (TCP Fast Open worked), on
    /// either side of the connection.
    bool syn_data_acked() const noexcept { return (data_.options & syn_data) != 0; }
    /// The bytes the system reported (a newer system may know more fields than sockit).
    std::size_t reported_size() const noexcept { return size_; }
    /// The raw fields.
    const detail::TcpInfoData& native() const noexcept { return data_; }

    /// IPPROTO_TCP.
    static constexpr int level() noexcept { return detail::opt::ipproto_tcp; }
    /// TCP_INFO.
    static constexpr int name() noexcept { return detail::opt::tcp_info; }
    /// "TCP_INFO", for error messages.
    static constexpr const char* label() noexcept { return "TCP_INFO"; }
    /// The storage `getsockopt` writes.
    void* data() noexcept { return &data_; }
    /// The storage.
    const void* data() const noexcept { return &data_; }
    /// The storage's size.
    std::size_t size() const noexcept { return sizeof data_; }
    /// Called with the size `getsockopt` returned.
    void resize(std::size_t n) noexcept { size_ = n; }

private:
    static constexpr std::uint8_t syn_data = 32; // TCPI_OPT_SYN_DATA
    detail::TcpInfoData data_{};
    std::size_t size_ = 0;

    template <class T>
    std::optional<T> field(T detail::TcpInfoData::*member) const noexcept {
        // The member's end, from its offset in a value (no offsetof on a member pointer).
        auto begin = reinterpret_cast<const char*>(&(data_.*member)) - reinterpret_cast<const char*>(&data_);
        if (static_cast<std::size_t>(begin) + sizeof(T) > size_) return std::nullopt;
        return data_.*member;
    }
};

} // namespace sockit
#endif
