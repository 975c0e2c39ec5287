// SPDX-License-Identifier: MIT
// sockit's benchmark: every scenario runs each variant interleaved (A B C A B C ...),
// so that ratios are measured side by side on a shared machine. See docs/benchmarks.md.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "udp_oneway.hpp"
#include "variants.hpp"

// ---- a counting allocator: sockit's I/O calls must not allocate -------------------------------
static std::atomic<std::uint64_t> g_allocations{0};

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace bench {
namespace {

struct Variant {
    std::string name;
    std::function<Run(const Params&)> run;
};

struct Scenario {
    std::string name;  ///< machine-readable
    std::string title; ///< for the report
    std::string unit;  ///< of the rate
    double scale;      ///< rate = operations / seconds / scale
    Params params;
    std::vector<Variant> variants;
    bool report_loss = false;
    bool report_latency = false;
};

std::string g_python = "python3";
std::string g_python_script = "bench/python_bench.py";

Run run_python(const std::vector<std::string>& args) {
    // Python's client and its forked server share the CPU the C++ variants use
    // (The one-way scenario runs its sender and receiver on two CPUs, as the C++ variants do.)
    std::string cpus = args.front() == "udp_oneway" ? "0,1" : std::to_string(bench_cpus().second);
    std::string cmd = "taskset -c " + cpus + " " + g_python + " " + g_python_script;
    for (const auto& a : args) cmd += " " + a;
    Run run;
    FILE* f = ::popen(cmd.c_str(), "r");
    if (f == nullptr) return run;
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
    if (::pclose(f) != 0) return run;
    auto field = [&](const char* key) {
        auto pos = out.find(std::string("\"") + key + "\":");
        return pos == std::string::npos ? 0.0 : std::atof(out.c_str() + pos + std::strlen(key) + 3);
    };
    run.seconds = field("seconds");
    run.operations = static_cast<std::uint64_t>(field("operations"));
    run.lost = static_cast<std::uint64_t>(field("lost"));
    if (double med = field("latency_median_ns"); med > 0) {
        run.latency_ns = {med, field("latency_p99_ns")}; // summary only: median then p99
    }
    return run;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Stats {
    std::vector<double> rates;
    std::vector<double> median_rtt_us, p99_rtt_us, loss_pct;
};

std::vector<Scenario> make_scenarios(bool quick, std::size_t bulk_bytes) {
    Params ping;
    ping.iterations = quick ? 2000 : 20000;
    Params ping_timeout = ping;
    ping_timeout.with_timeout = true;
    Params bulk64;
    bulk64.bulk_bytes = quick ? (64u << 20) : bulk_bytes;
    Params bulk1m = bulk64;
    bulk1m.bulk_write = 1u << 20;
    Params oneway;
    oneway.datagrams = quick ? 20000 : 200000;
    Params oneway_big = oneway;
    oneway_big.receive_buffer = 64 << 20;
    Params conn;
    conn.iterations = quick ? 300 : 2000;

    auto py = [](const char* scenario, std::function<std::vector<std::string>(const Params&)> args) {
        return Variant{"python", [scenario, args](const Params& p) {
                           auto a = args(p);
                           a.insert(a.begin(), scenario);
                           return run_python(a);
                       }};
    };
    auto s = [](std::size_t v) { return std::to_string(v); };

    std::vector<Scenario> out;
    out.push_back({"tcp_pingpong",
                   "TCP ping-pong, 64-byte messages",
                   "round trips/s",
                   1,
                   ping,
                   {{"raw", Raw::tcp_pingpong},
                    {"sockit", Sockit::tcp_pingpong},
                    {"sockit+timeout", [ping_timeout](const Params&) { return Sockit::tcp_pingpong(ping_timeout); }},
#ifdef SOCKIT_BENCH_HAVE_ASIO
                    {"asio", Asio::tcp_pingpong},
#endif
                    py("tcp_pingpong",
                       [s](const Params& p) {
                           return std::vector<std::string>{s(p.iterations), s(p.message)};
                       })},
                   false,
                   true});
    for (const auto& [suffix, params] : {std::pair<std::string, Params>{"64k", bulk64}, {"1m", bulk1m}}) {
        out.push_back({"tcp_bulk_" + suffix,
                       "TCP bulk, " + std::string(suffix == "64k" ? "64 KiB" : "1 MiB") + " writes",
                       "GB/s",
                       1e9,
                       params,
                       {{"raw", Raw::tcp_bulk},
                        {"sockit", Sockit::tcp_bulk},
#ifdef SOCKIT_BENCH_HAVE_ASIO
                        {"asio", Asio::tcp_bulk},
#endif
                        py("tcp_bulk", [s](const Params& p) {
                            return std::vector<std::string>{s(p.bulk_bytes), s(p.bulk_write)};
                        })}});
    }
    out.push_back({"udp_pingpong",
                   "UDP ping-pong, 64-byte datagrams",
                   "round trips/s",
                   1,
                   ping,
                   {{"raw", Raw::udp_pingpong},
                    {"sockit", Sockit::udp_pingpong},
#ifdef SOCKIT_BENCH_HAVE_ASIO
                    {"asio", Asio::udp_pingpong},
#endif
                    py("udp_pingpong",
                       [s](const Params& p) {
                           return std::vector<std::string>{s(p.iterations), s(p.message)};
                       })},
                   false,
                   true});
    for (const auto& [suffix, params] : {std::pair<std::string, Params>{"", oneway}, {"_64m", oneway_big}}) {
        out.push_back({"udp_oneway" + suffix,
                       "UDP one-way, 64-byte datagrams" + std::string(suffix.empty() ? "" : ", 64 MiB receive buffer"),
                       "datagrams/s received",
                       1,
                       params,
                       {{"raw", RawOneWay::run<RawSend::loop>},
                        {"raw mmsg", RawOneWay::run<RawSend::mmsg>},
                        {"raw segmented", RawOneWay::run<RawSend::segmented>},
                        {"sockit", SockitOneWay::run<SockitReceive::plain>},
                        {"sockit batch", SockitOneWay::run<SockitReceive::batch>},
                        {"sockit coalesced", SockitOneWay::run<SockitReceive::coalesced>},
#ifdef SOCKIT_BENCH_HAVE_ASIO
                        {"asio", AsioOneWay::run},
#endif
                        py("udp_oneway",
                           [s](const Params& p) {
                               return std::vector<std::string>{s(p.datagrams), s(p.message),
                                                               s(static_cast<std::size_t>(p.receive_buffer))};
                           })},
                       true,
                       false});
    }
    out.push_back({"connect",
                   "Connection set-up: connect + accept + close",
                   "connections/s",
                   1,
                   conn,
                   {{"raw", Raw::connect_rate},
                    {"sockit", Sockit::connect_rate},
#ifdef SOCKIT_BENCH_HAVE_ASIO
                    {"asio", Asio::connect_rate},
#endif
                    py("connect", [s](const Params& p) { return std::vector<std::string>{s(p.iterations)}; })}});
    return out;
}

// Allocations per call of sockit's I/O operations on caller-owned buffers.
// Writes a table row and a summary line ("allocations: send per op = 0") per operation.
// Returns false if any operation allocated.
bool count_allocations(std::ostream& report, std::ostream& lines) {
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::TcpClient client("127.0.0.1", server.port());
    auto accepted = server.accept();
    sockit::TcpStream& conn = accepted.first;
    sockit::UdpSocket a("127.0.0.1", 0), b("127.0.0.1", 0);
    const sockit::Address to_b("127.0.0.1", b.port());
    char buf[256] = {};
    constexpr int n = 1000;
    bool none = true;
    auto measure = [&](const char* what, auto&& op) {
        op(); // warm up
        std::uint64_t before = g_allocations.load();
        for (int i = 0; i < n; ++i) op();
        double per_op = static_cast<double>(g_allocations.load() - before) / n;
        lines << "allocations: " << what << " per op = " << per_op << "\n";
        none = none && per_op == 0;
        report << "| `" << what << "` | " << per_op << " |\n";
    };
    report << "\n| operation | heap allocations per call |\n|---|---|\n";
    measure("send", [&] { client.send(buf, 64); });
    measure("recv", [&] { conn.recv(buf, 64); });
    measure("send_all", [&] { client.send_all(buf, 64); });
    measure("recv (timeout set)", [&] {
        conn.set_timeout(std::chrono::seconds(5));
        conn.recv(buf, 64);
    });
    measure("send_to + recv_from", [&] {
        a.send_to(buf, 64, to_b);
        b.recv_from(buf, sizeof buf);
    });
    sockit::ConstBuffer parts[] = {sockit::buffer(buf, 16), sockit::buffer(buf + 16, 48)};
    measure("send_all (2 buffers)", [&] { client.send_all(parts, 2); });
    measure("recv (drain)", [&] {
        std::error_code ec;
        conn.set_timeout(std::chrono::seconds(0));
        conn.recv(buf, sizeof buf, ec); // drain what the gather sends left
    });
    return none;
}

// Runs one variant of one scenario once, without latency recording: for callgrind and strace.
int loop_mode(const std::string& scenario, const std::string& variant, std::size_t iterations) {
    Params p;
    p.iterations = iterations;
    p.record_latency = false;
    p.bulk_bytes = iterations * p.bulk_write;
    if (scenario == "tcp_bulk_1m") {
        p.bulk_write = 1u << 20;
        p.bulk_bytes = iterations * p.bulk_write;
    }
    std::map<std::string, std::function<Run(const Params&)>> table = {
        {"tcp_pingpong/raw", Raw::tcp_pingpong},
        {"tcp_pingpong/sockit", Sockit::tcp_pingpong},
        {"tcp_pingpong/sockit+timeout",
         [](Params q) {
             q.with_timeout = true;
             return Sockit::tcp_pingpong(q);
         }},
        {"tcp_bulk_1m/raw", Raw::tcp_bulk},
        {"tcp_bulk_1m/sockit", Sockit::tcp_bulk},
        {"udp_pingpong/raw", Raw::udp_pingpong},
        {"udp_pingpong/sockit", Sockit::udp_pingpong},
#ifdef SOCKIT_BENCH_HAVE_ASIO
        {"tcp_pingpong/asio", Asio::tcp_pingpong},
        {"tcp_bulk_1m/asio", Asio::tcp_bulk},
        {"udp_pingpong/asio", Asio::udp_pingpong},
#endif
    };
    auto it = table.find(scenario + "/" + variant);
    if (it == table.end()) {
        std::cerr << "no loop mode for " << scenario << "/" << variant << "\n";
        return 2;
    }
    it->second(p);
    return 0;
}

std::string fmt(double v, int precision = 3) {
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(precision);
    o << v;
    return o.str();
}

void write_svg(const std::string& path, const std::vector<Scenario>& scenarios,
               const std::map<std::string, std::map<std::string, Stats>>& results) {
    // One group of bars per scenario: each variant's median rate relative to raw (raw = 1).
    const int bar = 16, gap = 28, left = 250, width = 900, top = 40;
    std::vector<std::string> colors = {"#888888", "#777777", "#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd"};
    int y = top;
    std::ostringstream body;
    double max_ratio = 1.0;
    for (const auto& sc : scenarios) {
        const auto& by_variant = results.at(sc.name);
        double raw = median(by_variant.at("raw").rates);
        for (const auto& v : sc.variants) max_ratio = std::max(max_ratio, median(by_variant.at(v.name).rates) / raw);
    }
    double scale = (width - left - 120) / max_ratio;
    for (const auto& sc : scenarios) {
        const auto& by_variant = results.at(sc.name);
        double raw = median(by_variant.at("raw").rates);
        body << "<text x='10' y='" << y + 12 << "' font-weight='bold'>" << sc.title << "</text>\n";
        y += 18;
        std::size_t ci = 0;
        for (const auto& v : sc.variants) {
            double ratio = median(by_variant.at(v.name).rates) / raw;
            const std::string& color = v.name.rfind("sockit", 0) == 0 ? colors[2]
                                       : v.name == "asio"             ? colors[3]
                                       : v.name == "python"           ? colors[5]
                                                                      : colors[ci % 2];
            body << "<text x='" << left - 6 << "' y='" << y + 12 << "' text-anchor='end'>" << v.name << "</text>"
                 << "<rect x='" << left << "' y='" << y << "' width='" << std::max(1.0, ratio * scale) << "' height='"
                 << bar - 2 << "' fill='" << color << "'/>"
                 << "<text x='" << left + ratio * scale + 6 << "' y='" << y + 12 << "'>" << fmt(ratio, 2)
                 << "</text>\n";
            y += bar;
            ++ci;
        }
        y += gap;
    }
    std::ofstream svg(path);
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << y
        << "' font-family='sans-serif' "
        << "font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n"
        << "<text x='10' y='20' font-size='14'>Median rate relative to raw BSD calls (raw = 1.00; higher is "
           "better)</text>\n"
        << "<line x1='" << left + scale << "' y1='" << top << "' x2='" << left + scale << "' y2='" << y - gap
        << "' stroke='black' stroke-dasharray='4 3'/>\n"
        << body.str() << "</svg>\n";
}

int run_all(int reps, bool quick, std::size_t bulk_bytes, const std::vector<std::string>& only,
            const std::string& report_path, const std::string& svg_path) {
    auto scenarios = make_scenarios(quick, bulk_bytes);
    if (!only.empty()) {
        scenarios.erase(std::remove_if(scenarios.begin(), scenarios.end(),
                                       [&](const Scenario& s) {
                                           return std::find(only.begin(), only.end(), s.name) == only.end();
                                       }),
                        scenarios.end());
    }
    std::map<std::string, std::map<std::string, Stats>> results;
    std::ostringstream table;
    std::ostringstream summary;
    for (const auto& sc : scenarios) {
        std::cerr << "== " << sc.title << " (" << reps << " interleaved repetitions)\n";
        auto& by_variant = results[sc.name];
        std::vector<double> paired_raw, paired_asio;
        for (int rep = 0; rep < reps; ++rep) {
            std::map<std::string, double> this_rep;
            for (const auto& v : sc.variants) {
                Run r = v.run(sc.params);
                double rate = r.seconds > 0 ? static_cast<double>(r.operations) / r.seconds / sc.scale : 0;
                auto& st = by_variant[v.name];
                st.rates.push_back(rate);
                this_rep[v.name] = rate;
                if (r.latency_ns.size() == 2 && v.name == "python") {
                    st.median_rtt_us.push_back(r.latency_ns[0] / 1000);
                    st.p99_rtt_us.push_back(r.latency_ns[1] / 1000);
                } else if (!r.latency_ns.empty()) {
                    st.median_rtt_us.push_back(median(r.latency_ns) / 1000);
                    st.p99_rtt_us.push_back(percentile(r.latency_ns, 0.99) / 1000);
                }
                double sent = static_cast<double>(r.operations + r.lost);
                st.loss_pct.push_back(sent > 0 ? 100.0 * static_cast<double>(r.lost) / sent : 0);
                std::cerr << "   " << v.name << ": " << fmt(rate, 3) << " " << sc.unit << "\n";
            }
        }
        // Ratios of medians, and the median of ratios paired within a repetition.
        auto paired = [&](const std::string& a, const std::string& b) {
            std::vector<double> r;
            const auto& ra = by_variant[a].rates;
            const auto& rb = by_variant[b].rates;
            for (std::size_t i = 0; i < ra.size() && i < rb.size(); ++i)
                if (rb[i] > 0) r.push_back(ra[i] / rb[i]);
            return median(r);
        };
        table << "\n### " << sc.title << "\n\n| variant | median " << sc.unit << " | min | max |"
              << (sc.report_latency ? " median RTT µs | p99 RTT µs |" : "") << (sc.report_loss ? " loss % |" : "")
              << " vs raw |\n|---|---|---|---|" << (sc.report_latency ? "---|---|" : "")
              << (sc.report_loss ? "---|" : "") << "---|\n";
        for (const auto& v : sc.variants) {
            const auto& st = by_variant[v.name];
            table << "| " << v.name << " | " << fmt(median(st.rates), sc.scale > 1 ? 3 : 0) << " | "
                  << fmt(*std::min_element(st.rates.begin(), st.rates.end()), sc.scale > 1 ? 3 : 0) << " | "
                  << fmt(*std::max_element(st.rates.begin(), st.rates.end()), sc.scale > 1 ? 3 : 0) << " |";
            if (sc.report_latency)
                table << " " << fmt(median(st.median_rtt_us), 1) << " | " << fmt(median(st.p99_rtt_us), 1) << " |";
            if (sc.report_loss) table << " " << fmt(median(st.loss_pct), 2) << " |";
            table << " " << fmt(paired(v.name, "raw"), 3) << " |\n";
        }
        summary << sc.name << ": sockit/raw = " << fmt(paired("sockit", "raw")) << "\n";
        if (by_variant.count("sockit+timeout"))
            summary << sc.name << ": sockit+timeout/raw = " << fmt(paired("sockit+timeout", "raw")) << "\n";
        if (by_variant.count("asio")) summary << sc.name << ": sockit/asio = " << fmt(paired("sockit", "asio")) << "\n";
        if (by_variant.count("sockit batch")) {
            summary << sc.name << ": sockit batch/sockit = " << fmt(paired("sockit batch", "sockit")) << "\n";
            summary << sc.name << ": sockit batch/raw segmented = " << fmt(paired("sockit batch", "raw segmented"))
                    << "\n";
            summary << sc.name << ": raw mmsg/raw = " << fmt(paired("raw mmsg", "raw")) << "\n";
            summary << sc.name << ": sockit batch loss % = " << fmt(median(by_variant["sockit batch"].loss_pct), 2)
                    << "\n";
        }
        if (by_variant.count("sockit coalesced")) {
            summary << sc.name
                    << ": sockit coalesced/sockit batch = " << fmt(paired("sockit coalesced", "sockit batch")) << "\n";
            summary << sc.name
                    << ": sockit coalesced loss % = " << fmt(median(by_variant["sockit coalesced"].loss_pct), 2)
                    << "\n";
        }
        if (by_variant.count("python"))
            summary << sc.name << ": sockit/python = " << fmt(paired("sockit", "python")) << "\n";
    }
    std::ostringstream allocs;
    count_allocations(allocs, summary);
    std::cout << summary.str();
    if (!report_path.empty()) {
        std::ofstream out(report_path);
        out << table.str() << "\n### Heap allocations\n"
            << allocs.str() << "\n### Summary lines\n\n```\n"
            << summary.str() << "```\n";
    }
    if (!svg_path.empty()) write_svg(svg_path, scenarios, results);
    return 0;
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
    int reps = 9;
    bool quick = false;
    std::size_t bulk_bytes = std::size_t{2} << 30;
    std::vector<std::string> only;
    std::string report, svg;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::cout << "usage: sockit_bench [--quick] [--reps N] [--bulk-mib N] [--only SCENARIO]... "
                         "[--report FILE.md] [--svg FILE.svg] [--python-script PATH]\n"
                         "       sockit_bench --loop SCENARIO VARIANT N   (one run, for callgrind/strace)\n"
                         "       sockit_bench --allocations\n";
            return 0;
        } else if (a == "--quick") {
            quick = true;
        } else if (a == "--reps") {
            reps = std::max(1, std::atoi(next().c_str()));
        } else if (a == "--bulk-mib") {
            bulk_bytes = static_cast<std::size_t>(std::atol(next().c_str())) << 20;
        } else if (a == "--only") {
            only.push_back(next());
        } else if (a == "--report") {
            report = next();
        } else if (a == "--svg") {
            svg = next();
        } else if (a == "--python-script") {
            bench::g_python_script = next();
        } else if (a == "--loop") {
            std::string scenario = next(), variant = next();
            return bench::loop_mode(scenario, variant, static_cast<std::size_t>(std::atol(next().c_str())));
        } else if (a == "--allocations") {
            std::ostringstream ignored;
            return bench::count_allocations(ignored, std::cout) ? 0 : 1;
        } else {
            std::cerr << "unknown argument: " << a << " (see --help)\n";
            return 2;
        }
    }
    return bench::run_all(reps, quick, bulk_bytes, only, report, svg);
}
