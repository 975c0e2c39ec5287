// SPDX-License-Identifier: MIT
// Linux's TCP extras: TCP_INFO, TCP Fast Open, Multipath TCP, and the options that pick a device,
// a mark, a traffic class or a not-yet-present address. What needs a sysctl or an interface of
// its own runs in a network namespace the test makes.
#ifdef __linux__
#include <sockit/sockit.hpp>

#include <fstream>
#include <memory>
#include <sstream>

#include "netns.hpp"
#include "support.hpp"

using namespace std::chrono_literals;
using sockit::Address;
using sockit::ConnectOptions;
using sockit::ServerOptions;
using sockit::TcpClient;
using sockit::TcpServer;
using sockit::TcpState;
using sockit_test::Deadline;
using sockit_test::Expectations;
using sockit_test::in_private_network;

namespace {

/// A counter of /proc/net/netstat's TcpExt line (per network namespace), or -1.
long tcp_ext_counter(const std::string& name) {
    std::ifstream in("/proc/net/netstat");
    std::string names, values;
    while (std::getline(in, names) && std::getline(in, values)) {
        if (names.rfind("TcpExt:", 0) != 0) continue;
        std::istringstream n(names), v(values);
        std::string key, value;
        while (n >> key && v >> value)
            if (key == name) return std::stol(value);
    }
    return -1;
}

/// The protocol (IPPROTO_*) of a socket, asked of the system directly.
int raw_protocol(int fd) {
    int protocol = -1;
    socklen_t len = sizeof protocol;
    ::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
    return protocol;
}

/// True if MPTCP_INFO (SOL_MPTCP 284, MPTCP_INFO 1) answers on `fd`: an MPTCP socket.
bool mptcp_info_answers(int fd) {
    unsigned char info[256];
    socklen_t len = sizeof info;
    return ::getsockopt(fd, 284, 1, info, &len) == 0 && len > 0;
}

/// Exactly `n` bytes from `stream`, as a string.
std::string read_exactly(sockit::TcpStream& stream, std::size_t n) {
    std::string out(n, '\0');
    stream.recv_exactly(out.data(), n);
    return out;
}

/// One connection from `client` options to `server`, "hello" sent in the client's first send;
/// returns {client stream, accepted stream} once the server has read the hello.
std::pair<sockit::TcpStream, sockit::TcpStream> hello(TcpServer& server, const ConnectOptions& options,
                                                      Expectations& e) {
    TcpClient client("127.0.0.1", server.port(), options);
    client.send_all("hello");
    auto accepted = server.accept();
    char buf[16];
    std::size_t n = accepted.first.recv(buf, sizeof buf);
    e.expect(std::string(buf, n) == "hello", "the server reads the hello, got '" + std::string(buf, n) + "'");
    return {std::move(client), std::move(accepted.first)};
}

} // namespace

TEST_CASE("TcpInfo reads the connection's state, round-trip time and bytes acknowledged", "[tcp_info]") {
    sockit_test::FdLeakCheck leaks;
    TcpServer server("127.0.0.1", 0);
    CHECK(server.get_option<sockit::TcpInfo>().state() == TcpState::listen);
    TcpClient client("127.0.0.1", server.port());
    auto [conn, peer] = server.accept();

    std::string data(100000, 'x');
    client.send_all(data);
    std::string got = read_exactly(conn, data.size());
    REQUIRE(got.size() == data.size());
    // Everything is acknowledged once the server has read it (plus one for the SYN), soon after.
    sockit::TcpInfo info;
    Deadline deadline(5000ms);
    do {
        info = client.get_option<sockit::TcpInfo>();
    } while (info.bytes_acked() != data.size() + 1 && !deadline.expired());
    CHECK(info.state() == TcpState::established);
    CHECK(info.bytes_acked() == data.size() + 1);
    CHECK(info.bytes_sent() >= data.size());
    CHECK(info.bytes_retransmitted() == 0u);
    REQUIRE(info.bytes_retransmitted().has_value());          // Linux 4.19, beside bytes_sent
    CHECK(*info.bytes_retransmitted() <= *info.bytes_sent()); // a part of what was sent
    CHECK(info.round_trip_time() > 0us);
    CHECK(info.round_trip_time() < 1s);
    CHECK(info.congestion_window() >= 1);
    CHECK(info.send_mss() > 0);
    CHECK(info.retransmissions() == 0);
    CHECK(info.reported_size() >= sizeof(sockit::detail::TcpInfoData));
    CHECK(info.native().state == 1);
    sockit::TcpInfo server_side = conn.get_option<sockit::TcpInfo>();
    CHECK(server_side.bytes_received() == data.size());
    CHECK(server_side.segments_received() >= 2);
    CHECK(server_side.segments_sent() >= 1);
    CHECK_FALSE(info.syn_data_acked());
    // Field for field what glibc's own (shorter) struct tcp_info reads on the idle connection.
    ::tcp_info raw{};
    socklen_t raw_len = sizeof raw;
    REQUIRE(::getsockopt(client.fileno(), IPPROTO_TCP, TCP_INFO, &raw, &raw_len) == 0);
    info = client.get_option<sockit::TcpInfo>();
    CHECK(info.round_trip_time().count() == raw.tcpi_rtt);
    CHECK(info.round_trip_time_variance().count() == raw.tcpi_rttvar);
    CHECK(info.retransmission_timeout().count() == raw.tcpi_rto);
    CHECK(info.congestion_window() == raw.tcpi_snd_cwnd);
    CHECK(info.slow_start_threshold() == raw.tcpi_snd_ssthresh);
    CHECK(info.send_mss() == raw.tcpi_snd_mss);
    CHECK(info.receive_mss() == raw.tcpi_rcv_mss);
    CHECK(info.unacknowledged() == raw.tcpi_unacked);
    CHECK(info.lost() == raw.tcpi_lost);
    CHECK(info.retransmissions() == raw.tcpi_total_retrans);
    CHECK(info.path_mtu() == raw.tcpi_pmtu);
    CHECK(static_cast<int>(info.state()) == raw.tcpi_state);

    client.close();
    deadline = Deadline(5000ms);
    while (conn.get_option<sockit::TcpInfo>().state() != TcpState::close_wait && !deadline.expired())
        std::this_thread::sleep_for(1ms);
    CHECK(conn.get_option<sockit::TcpInfo>().state() == TcpState::close_wait);

    std::error_code ec;
    sockit::UdpSocket udp("127.0.0.1", 0);
    udp.get_option<sockit::TcpInfo>(ec);
    CHECK(ec);
    CHECK_THROWS_WITH(udp.get_option<sockit::TcpInfo>(), sockit_test::contains("getsockopt TCP_INFO"));
}

TEST_CASE("TcpInfo reports fields an older system lacks as empty", "[tcp_info]") {
    sockit::TcpInfo info;
    info.resize(104); // what Linux 4.0 reports: up to total_retrans
    CHECK_FALSE(info.bytes_acked().has_value());
    CHECK_FALSE(info.segments_sent().has_value());
    info.resize(136);
    CHECK(info.bytes_acked() == 0u);
    CHECK(info.bytes_received() == 0u);
    CHECK_FALSE(info.bytes_sent().has_value());
    CHECK_FALSE(info.bytes_retransmitted().has_value());
}

TEST_CASE("TCP Fast Open: the second connection's data rides in the SYN and the server reads it", "[fast_open]") {
    int status = in_private_network([] {
        Expectations e;
        if (!e.expect(sockit_test::write_file("/proc/sys/net/ipv4/tcp_fastopen", "3"),
                      "net.ipv4.tcp_fastopen=3 in the namespace"))
            return e.result();
        ServerOptions so;
        so.fast_open = 16;
        TcpServer server("127.0.0.1", 0, so);
        e.expect(server.get_option<sockit::FastOpen>().value() == 16, "TCP_FASTOPEN read back from the listener");
        ConnectOptions co;
        co.fast_open = true;
        co.timeout = 5s;
        e.expect(tcp_ext_counter("TCPFastOpenPassive") == 0, "no Fast Open connection yet");

        auto first = hello(server, co, e); // asks for a cookie: a normal handshake
        e.expect(!first.first.get_option<sockit::TcpInfo>().syn_data_acked(), "the first SYN carried no data");
        e.expect(tcp_ext_counter("TCPFastOpenPassive") == 0, "the first connection was not Fast Open");

        auto second = hello(server, co, e); // has the cookie: the hello rides in the SYN
        e.expect(second.first.get_option<sockit::TcpInfo>().syn_data_acked(), "the client's SYN data was acked");
        e.expect(second.second.get_option<sockit::TcpInfo>().syn_data_acked(), "the server took data from the SYN");
        e.expect(tcp_ext_counter("TCPFastOpenPassive") == 1, "the kernel counted one passive Fast Open");
        e.expect(second.first.get_option<sockit::FastOpenConnect>().value(), "TCP_FASTOPEN_CONNECT read back");
        second.second.send_all("bye");
        e.expect(second.first.recv(16) == "bye", "the connection works both ways");
        return e.result();
    });
    CHECK(status == 0);
}

TEST_CASE("TCP Fast Open: with a cookie the connect returns before the server is known to be there", "[fast_open]") {
    // What ConnectOptions::fast_open warns of: the SYN waits for the first send, so the peer is
    // not known until then, a server that has gone shows up in a later call, and of several
    // addresses the first one with a cookie wins even if its server has gone.
    int status = in_private_network([] {
        Expectations e;
        if (!e.expect(sockit_test::write_file("/proc/sys/net/ipv4/tcp_fastopen", "3"),
                      "net.ipv4.tcp_fastopen=3 in the namespace"))
            return e.result();
        ServerOptions so;
        so.fast_open = 16;
        auto gone = std::make_unique<TcpServer>("127.0.0.1", 0, so);
        const int port = gone->port();
        TcpServer live("127.0.0.2", port, so);
        ConnectOptions co;
        co.fast_open = true;
        co.timeout = 5s;
        hello(*gone, co, e); // the cookie for 127.0.0.1
        {
            TcpClient client("127.0.0.1", port, co);
            std::error_code ec;
            client.peer_address(ec);
            e.expect(ec == std::errc::not_connected, "no peer before the first send: " + ec.message());
            client.send_all("hello");
            auto accepted = gone->accept();
            e.expect(accepted.first.recv(16) == "hello", "the hello arrives");
        }
        gone.reset(); // 127.0.0.1's server goes; 127.0.0.2's stays
        const std::vector<Address> both{Address("127.0.0.1", port), Address("127.0.0.2", port)};
        for (bool happy_eyeballs : {false, true}) {
            co.happy_eyeballs = happy_eyeballs;
            TcpClient client(both, co);
            std::error_code ec;
            client.send_all("hello", ec);
            e.expect(!ec, "the first send only queues the data in the SYN: " + ec.message());
            char byte;
            client.recv(&byte, 1, ec);
            e.expect(ec == std::errc::connection_refused || ec == std::errc::connection_reset,
                     "the refusal comes with the next call, no fallback to 127.0.0.2: " + ec.message());
        }
        co.fast_open = false;
        e.expect(TcpClient(both, co).peer_address() == both[1], "without Fast Open the second address serves");
        return e.result();
    });
    CHECK(status == 0);
}

TEST_CASE("TCP Fast Open falls back to a normal handshake where the system refuses it", "[fast_open]") {
    int status = in_private_network([] {
        Expectations e;
        if (!e.expect(sockit_test::write_file("/proc/sys/net/ipv4/tcp_fastopen", "0"),
                      "net.ipv4.tcp_fastopen=0 in the namespace"))
            return e.result();
        ServerOptions so;
        so.fast_open = 16;
        TcpServer server("127.0.0.1", 0, so);
        ConnectOptions co;
        co.fast_open = true;
        for (int round = 0; round < 2; ++round) {
            auto pair = hello(server, co, e);
            e.expect(!pair.first.get_option<sockit::TcpInfo>().syn_data_acked(), "no SYN data when refused");
        }
        e.expect(tcp_ext_counter("TCPFastOpenPassive") == 0, "no passive Fast Open counted");
        // A refused connection, which a deferred connect reports at the first send.
        sockit::Socket probe(sockit::Family::v4, sockit::SocketType::stream);
        probe.bind(Address("127.0.0.1", 0));
        std::uint16_t closed_port = probe.local_address().port();
        probe.close();
        std::error_code ec;
        auto client = TcpClient::open("127.0.0.1", closed_port, co, ec);
        if (!ec) client.send("x", ec);
        e.expect(ec == std::errc::connection_refused, "a refused Fast Open connect: " + ec.message());
        return e.result();
    });
    CHECK(status == 0);
}

TEST_CASE("Multipath TCP: server and client open MPTCP sockets and talk", "[mptcp]") {
    sockit_test::FdLeakCheck leaks;
    int enabled = 0;
    std::ifstream("/proc/sys/net/mptcp/enabled") >> enabled;
    REQUIRE(enabled == 1); // this machine's kernel has it on; a fresh CI machine is the same kind
    ServerOptions so;
    so.multipath = true;
    TcpServer server("127.0.0.1", 0, so);
    CHECK(server.get_option<sockit::Protocol>().is_multipath());
    CHECK(raw_protocol(server.fileno()) == 262);
    ConnectOptions co;
    co.multipath = true;
    co.timeout = 5s;
    TcpClient client("127.0.0.1", server.port(), co);
    auto [conn, peer] = server.accept();
    CHECK(client.get_option<sockit::Protocol>().is_multipath());
    CHECK(conn.get_option<sockit::Protocol>().is_multipath());
    CHECK(mptcp_info_answers(client.fileno()));
    CHECK(mptcp_info_answers(conn.fileno()));
    client.send_all("over mptcp");
    CHECK(read_exactly(conn, 10) == "over mptcp");

    // A plain client of the MPTCP server, and an MPTCP client of a plain server.
    TcpClient plain("127.0.0.1", server.port());
    auto accepted = server.accept();
    CHECK_FALSE(plain.get_option<sockit::Protocol>().is_multipath());
    plain.send_all("plain");
    CHECK(read_exactly(accepted.first, 5) == "plain");
    TcpServer plain_server("127.0.0.1", 0);
    CHECK(plain_server.get_option<sockit::Protocol>().value() == IPPROTO_TCP);
    TcpClient mp_client("127.0.0.1", plain_server.port(), co);
    auto accepted_plain = plain_server.accept();
    mp_client.send_all("fallback");
    CHECK(read_exactly(accepted_plain.first, 8) == "fallback");
}

TEST_CASE("Multipath TCP falls back to plain TCP where the system refuses it", "[mptcp]") {
    int status = in_private_network([] {
        Expectations e;
        if (!e.expect(sockit_test::write_file("/proc/sys/net/mptcp/enabled", "0"), "net.mptcp.enabled=0"))
            return e.result();
        int raw = ::socket(AF_INET, SOCK_STREAM, 262);
        e.expect(raw < 0, "the system refuses IPPROTO_MPTCP (errno " + std::to_string(errno) + ")");
        if (raw >= 0) ::close(raw);
        ServerOptions so;
        so.multipath = true;
        TcpServer server("127.0.0.1", 0, so);
        e.expect(server.get_option<sockit::Protocol>().value() == IPPROTO_TCP, "the server fell back to TCP");
        ConnectOptions co;
        co.multipath = true;
        auto pair = hello(server, co, e);
        e.expect(!pair.first.get_option<sockit::Protocol>().is_multipath(), "the client fell back to TCP");
        return e.result();
    });
    CHECK(status == 0);
}

TEST_CASE("TrafficClass sets IPv6's traffic class beside IP_TOS on a dual-stack socket", "[options]") {
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 unavailable on ::1");
    sockit::Socket s(sockit::Family::v6, sockit::SocketType::stream);
    s.set_option(sockit::TrafficClass(0x28));
    CHECK(s.get_option<sockit::TrafficClass>().value() == 0x28);
    s.set_option(sockit::TypeOfService(0x28)); // for IPv4-mapped peers
    int raw = 0;
    socklen_t len = sizeof raw;
    REQUIRE(::getsockopt(s.fileno(), IPPROTO_IPV6, IPV6_TCLASS, &raw, &len) == 0);
    CHECK(raw == 0x28);
    std::error_code ec;
    sockit::Socket v4(sockit::Family::v4, sockit::SocketType::stream);
    v4.set_option(sockit::TrafficClass(0x28), ec);
    CHECK(ec); // an IPv4 socket has no IPv6 traffic class
    CHECK_THROWS_WITH(v4.set_option(sockit::TrafficClass(0x28)), sockit_test::contains("setsockopt IPV6_TCLASS"));
}

TEST_CASE("FreeBind binds an address the host does not have", "[options]") {
    // 192.0.2.1 (TEST-NET-1) is on no interface here; nothing is sent to it.
    Address absent("192.0.2.1", 0);
    std::error_code ec;
    sockit::Socket without(sockit::Family::v4, sockit::SocketType::datagram);
    without.bind(absent, ec);
    CHECK(ec == std::errc::address_not_available);
    sockit::Socket with(sockit::Family::v4, sockit::SocketType::datagram);
    with.set_option(sockit::FreeBind(true));
    CHECK(with.get_option<sockit::FreeBind>().value());
    with.bind(absent);
    CHECK(with.local_address().host() == "192.0.2.1");
}

TEST_CASE("Mark sets the mark routing and filters see", "[options]") {
    int status = in_private_network([] {
        Expectations e;
        sockit::Socket s(sockit::Family::v4, sockit::SocketType::datagram);
        s.set_option(sockit::Mark(42));
        e.expect(s.get_option<sockit::Mark>().value() == 42, "SO_MARK read back");
        int raw = 0;
        socklen_t len = sizeof raw;
        e.expect(::getsockopt(s.fileno(), SOL_SOCKET, SO_MARK, &raw, &len) == 0 && raw == 42, "raw SO_MARK");
        return e.result();
    });
    CHECK(status == 0);
}

TEST_CASE("BindToDevice describes the name it was made with, for messages", "[options]") {
    CHECK(sockit::BindToDevice().description() == "SO_BINDTODEVICE");
    CHECK(sockit::BindToDevice("eth0").description() == "SO_BINDTODEVICE 'eth0'");
    CHECK(sockit::BindToDevice("sockit-fifteen0").description() == "SO_BINDTODEVICE 'sockit-fifteen0'");
    CHECK(sockit::BindToDevice("sockit-sixteen-0").description() ==
          "SO_BINDTODEVICE 'sockit-sixteen-...' (16 bytes; at most 15)");
    CHECK(sockit::BindToDevice(std::string("a\0b", 3)).description() == "SO_BINDTODEVICE 'a\\0b' (a NUL in it)");
    CHECK(sockit::BindToDevice("sockit-sixteen-0").value() == "/"); // a name no interface can have
}

TEST_CASE("BindToDevice and BindToInterfaceIndex keep a socket to one interface", "[options]") {
    int status = in_private_network([] {
        Expectations e;
        // A second interface (one end of a veth pair) with an address of its own.
        if (!e.expect(sockit_test::run("ip link add sockit0 type veth peer name sockit1 && "
                                       "ip addr add 10.200.0.1/24 dev sockit0 && ip link set sockit0 up && "
                                       "ip link set sockit1 up"),
                      "a veth pair in the namespace"))
            return e.result();
        const int index = static_cast<int>(sockit::interface_index("sockit0"));
        // Whether a receiver kept to a device gets a datagram sent to `to`.
        auto receives = [&](const char* device, bool by_index, const char* to) {
            sockit::UdpSocket receiver = sockit::UdpSocket(sockit::Family::v4);
            if (by_index) {
                int i = device == std::string("lo") ? static_cast<int>(sockit::interface_index("lo")) : index;
                receiver.set_option(sockit::BindToInterfaceIndex(i));
                e.expect(receiver.get_option<sockit::BindToInterfaceIndex>().value() == i,
                         "SO_BINDTOIFINDEX read back");
            } else {
                receiver.set_option(sockit::BindToDevice(device));
                e.expect(receiver.get_option<sockit::BindToDevice>().value() == device, "SO_BINDTODEVICE read back");
            }
            receiver.bind(Address("0.0.0.0", 0));
            sockit::UdpSocket sender = sockit::UdpSocket(sockit::Family::v4);
            sender.send_to("x", Address(to, receiver.local_address().port()));
            receiver.set_timeout(300ms);
            std::error_code ec;
            char byte;
            receiver.recv(&byte, 1, ec);
            return !ec;
        };
        for (bool by_index : {false, true}) {
            std::string how = by_index ? " (by index)" : " (by name)";
            e.expect(receives("lo", by_index, "127.0.0.1"), "kept to lo, a datagram to 127.0.0.1 arrives" + how);
            e.expect(!receives("lo", by_index, "10.200.0.1"), "kept to lo, one to 10.200.0.1 does not" + how);
            e.expect(receives("sockit0", by_index, "10.200.0.1"), "kept to sockit0, one to 10.200.0.1 arrives" + how);
            e.expect(!receives("sockit0", by_index, "127.0.0.1"), "kept to sockit0, one to 127.0.0.1 does not" + how);
        }
        // Unbinding, and names no interface can have.
        sockit::UdpSocket s = sockit::UdpSocket(sockit::Family::v4);
        s.set_option(sockit::BindToDevice("sockit0"));
        s.set_option(sockit::BindToDevice(""));
        e.expect(s.get_option<sockit::BindToDevice>().value().empty(), "BindToDevice(\"\") unbinds");
        // A name of exactly 15 bytes, the longest the system takes, is a name like any other.
        if (e.expect(sockit_test::run("ip link add sockit-fifteen0 type veth peer name sockit-fifteen1"),
                     "a veth pair with a 15-byte name")) {
            s.set_option(sockit::BindToDevice("sockit-fifteen0"));
            e.expect(s.get_option<sockit::BindToDevice>().value() == "sockit-fifteen0", "a 15-byte name read back");
            s.set_option(sockit::BindToDevice(""));
        }
        for (std::string bad :
             {std::string("no-such-device"), std::string("sockit0-and-more-than-15"), std::string("lo\0x", 4)}) {
            std::error_code ec;
            s.set_option(sockit::BindToDevice(bad), ec);
            e.expect(ec == std::errc::no_such_device, "BindToDevice of a bad name: " + ec.message());
        }
        // The message names the name, and why no interface can have it.
        for (auto [bad, said] : {std::pair<std::string, std::string>{"no-such-device", "'no-such-device': "},
                                 {"sockit0-and-more-than-15", "'sockit0-and-mor...' (24 bytes; at most 15): "},
                                 {std::string("lo\0x", 4), "'lo\\0x' (a NUL in it): "}}) {
            try {
                s.set_option(sockit::BindToDevice(bad));
                e.expect(false, "a bad name throws");
            } catch (const sockit::Error& error) {
                e.expect(std::string(error.what()).find("setsockopt SO_BINDTODEVICE " + said) != std::string::npos,
                         error.what());
            }
        }
        return e.result();
    });
    CHECK(status == 0);
}

#endif
