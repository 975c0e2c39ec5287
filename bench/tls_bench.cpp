// SPDX-License-Identifier: MIT
// sockit's TLS benchmark: sockit's TlsStream beside a hand-written raw OpenSSL program doing
// the same (SSL_read/SSL_write on a socket BIO, SSL_set_fd) and Python's ssl module, each
// scenario's variants interleaved (A B C A B C ...) so that ratios are side by side on a
// shared machine. See docs/benchmarks.md, "TLS".
//
//   tls_bench [--quick] [--reps N] [--only SCENARIO]
//                                          the run: summary lines "tls_bulk: sockit/raw = 0.99"
//   tls_bench --loop SCENARIO VARIANT N    one variant once, N operations (for strace)
//   tls_bench --allocations                operator new calls per TLS operation, sockit's own code
//
// The certificate (a CA and a leaf for 127.0.0.1) is made at start in memory; its PEM files
// are written to a temporary folder for Python. Client and server threads share one CPU, as
// in bench.cpp (SOCKIT_BENCH_CPUS="S,C" to choose).
#include <sockit/tls.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

// ---- operator new counted: sockit's own code must not allocate per record -------------------
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

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "tls_bench: %s\n", what.c_str());
    ERR_print_errors_fp(stderr);
    std::exit(2);
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const unsigned n = std::thread::hardware_concurrency();
    CPU_SET(cpu % static_cast<int>(n ? n : 1), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}
std::pair<int, int> bench_cpus() {
    const char* env = std::getenv("SOCKIT_BENCH_CPUS");
    int server = 0, client = 0;
    if (env != nullptr && std::sscanf(env, "%d,%d", &server, &client) != 2) server = client = 0;
    return {server, client};
}
template <class Server, class Client>
void side_by_side(Server&& server, Client&& client) {
    auto [server_cpu, client_cpu] = bench_cpus();
    std::thread t([&, cpu = server_cpu] {
        pin_to_cpu(cpu);
        server();
    });
    pin_to_cpu(client_cpu);
    client();
    t.join();
}

// ---- the certificate -------------------------------------------------------------------------
struct Pem {
    std::string ca, chain, key, dir;
};

std::string to_pem(const std::function<int(BIO*)>& write) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr || write(bio) != 1) die("PEM");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return out;
}

X509* make_cert(const char* cn, const char* san, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
    X509* c = X509_new();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), issuer == nullptr ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(c), -60);
    X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
    X509_set_pubkey(c, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                               -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(issuer != nullptr ? issuer : c));
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : c, c, nullptr, nullptr, 0);
    auto add = [&](int nid, const char* value) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        if (ext == nullptr || X509_add_ext(c, ext, -1) != 1) die("extension");
        X509_EXTENSION_free(ext);
    };
    add(NID_basic_constraints, issuer == nullptr ? "critical,CA:TRUE" : "critical,CA:FALSE");
    if (san != nullptr) add(NID_subject_alt_name, san);
    if (X509_sign(c, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) <= 0) die("X509_sign");
    return c;
}

Pem make_pem() {
    EVP_PKEY* ca_key = EVP_EC_gen("P-256");
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (ca_key == nullptr || key == nullptr) die("EVP_EC_gen");
    X509* ca = make_cert("bench CA", nullptr, ca_key, nullptr, nullptr);
    X509* leaf = make_cert("127.0.0.1", "IP:127.0.0.1,DNS:localhost", key, ca, ca_key);
    Pem pem;
    pem.ca = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, ca); });
    pem.chain = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, leaf); });
    pem.key = to_pem([&](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
    X509_free(ca);
    X509_free(leaf);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    char dir[] = "/tmp/sockit-tls-bench-XXXXXX";
    if (::mkdtemp(dir) == nullptr) die("mkdtemp");
    pem.dir = dir;
    std::ofstream(pem.dir + "/ca.pem") << pem.ca;
    std::ofstream(pem.dir + "/server.pem") << pem.chain;
    std::ofstream(pem.dir + "/server.key") << pem.key;
    return pem;
}

const Pem& pem() {
    static const Pem instance = make_pem();
    return instance;
}

// ---- what a scenario measures ----------------------------------------------------------------
struct Params {
    std::size_t iterations = 20000; ///< round trips or handshakes
    std::size_t message = 64;       ///< ping-pong message size
    std::size_t bulk_bytes = 64 << 20;
    std::size_t bulk_write = 64 << 10; ///< bytes per write
    bool with_timeout = false;         ///< sockit only: a timeout on both sides
};
struct Run {
    double seconds = 0;
    double operations = 0;
};

// A listening TCP socket on 127.0.0.1 port 0 and a connected pair made from it, with
// TCP_NODELAY, written with plain system calls so that both TLS variants start alike.
int listen_any(int& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 128) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        die("listen");
    port = ntohs(a.sin_port);
    return fd;
}
int connect_to(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}
int accept_one(int listener) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) die("accept");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// ---- raw OpenSSL: SSL_set_fd (a socket BIO), blocking SSL_read/SSL_write ----------------------
struct Raw {
    SSL_CTX* client = nullptr;
    SSL_CTX* server = nullptr;
    Raw() {
        client = SSL_CTX_new(TLS_client_method());
        server = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(client, TLS1_2_VERSION);
        SSL_CTX_set_min_proto_version(server, TLS1_2_VERSION);
        SSL_CTX_set_verify(client, SSL_VERIFY_PEER, nullptr);
        BIO* b = BIO_new_mem_buf(pem().ca.data(), static_cast<int>(pem().ca.size()));
        X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(client), ca);
        X509_free(ca);
        BIO_free(b);
        b = BIO_new_mem_buf(pem().chain.data(), static_cast<int>(pem().chain.size()));
        X509* leaf = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
        BIO_free(b);
        b = BIO_new_mem_buf(pem().key.data(), static_cast<int>(pem().key.size()));
        EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
        BIO_free(b);
        if (SSL_CTX_use_certificate(server, leaf) != 1 || SSL_CTX_use_PrivateKey(server, key) != 1) die("raw server");
        X509_free(leaf);
        EVP_PKEY_free(key);
    }
    static Raw& get() {
        static Raw raw;
        return raw;
    }
    // A client SSL on `fd` checking 127.0.0.1, as sockit's client does.
    SSL* new_client(int fd) const {
        SSL* ssl = SSL_new(client);
        SSL_set_fd(ssl, fd);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
        return ssl;
    }
    SSL* new_server(int fd) const {
        SSL* ssl = SSL_new(server);
        SSL_set_fd(ssl, fd);
        return ssl;
    }
    static void write_all(SSL* ssl, const char* p, std::size_t n) {
        while (n > 0) {
            const int r = SSL_write(ssl, p, static_cast<int>(n));
            if (r <= 0) die("SSL_write");
            p += r;
            n -= static_cast<std::size_t>(r);
        }
    }
    static bool read_exactly(SSL* ssl, char* p, std::size_t n) {
        while (n > 0) {
            const int r = SSL_read(ssl, p, static_cast<int>(n));
            if (r <= 0) return false;
            p += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }
    static void close(SSL* ssl, int fd) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(fd);
    }

    static Run pingpong(const Params& p) {
        int port = 0;
        const int listener = listen_any(port);
        Run run;
        side_by_side(
            [&] {
                const int fd = accept_one(listener);
                SSL* ssl = get().new_server(fd);
                if (SSL_accept(ssl) != 1) die("SSL_accept");
                std::vector<char> buf(p.message);
                while (read_exactly(ssl, buf.data(), p.message)) write_all(ssl, buf.data(), p.message);
                close(ssl, fd);
            },
            [&] {
                const int fd = connect_to(port);
                SSL* ssl = get().new_client(fd);
                if (SSL_connect(ssl) != 1) die("SSL_connect");
                std::vector<char> buf(p.message, 'x');
                const auto start = Clock::now();
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    write_all(ssl, buf.data(), p.message);
                    if (!read_exactly(ssl, buf.data(), p.message)) die("SSL_read");
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                close(ssl, fd);
            });
        ::close(listener);
        run.operations = static_cast<double>(p.iterations);
        return run;
    }

    static Run bulk(const Params& p) {
        int port = 0;
        const int listener = listen_any(port);
        Run run;
        side_by_side(
            [&] {
                const int fd = accept_one(listener);
                SSL* ssl = get().new_server(fd);
                if (SSL_accept(ssl) != 1) die("SSL_accept");
                std::vector<char> buf(p.bulk_write);
                std::size_t got = 0;
                while (got < p.bulk_bytes) {
                    const int r = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
                    if (r <= 0) die("SSL_read");
                    got += static_cast<std::size_t>(r);
                }
                write_all(ssl, "k", 1); // all received
                close(ssl, fd);
            },
            [&] {
                const int fd = connect_to(port);
                SSL* ssl = get().new_client(fd);
                if (SSL_connect(ssl) != 1) die("SSL_connect");
                std::vector<char> buf(p.bulk_write, 'x');
                const auto start = Clock::now();
                for (std::size_t sent = 0; sent < p.bulk_bytes; sent += p.bulk_write)
                    write_all(ssl, buf.data(), p.bulk_write);
                char k;
                if (!read_exactly(ssl, &k, 1)) die("SSL_read");
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                close(ssl, fd);
            });
        ::close(listener);
        run.operations = static_cast<double>(p.bulk_bytes) / (1 << 20);
        return run;
    }

    static Run handshakes(const Params& p) {
        int port = 0;
        const int listener = listen_any(port);
        Run run;
        side_by_side(
            [&] {
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    const int fd = accept_one(listener);
                    SSL* ssl = get().new_server(fd);
                    if (SSL_accept(ssl) != 1) die("SSL_accept");
                    char k;
                    if (SSL_read(ssl, &k, 1) != 1) die("SSL_read");
                    close(ssl, fd);
                }
            },
            [&] {
                const auto start = Clock::now();
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    const int fd = connect_to(port);
                    SSL* ssl = get().new_client(fd);
                    if (SSL_connect(ssl) != 1) die("SSL_connect");
                    write_all(ssl, "k", 1);
                    char end;
                    if (SSL_read(ssl, &end, 1) != 0) die("raw: no close_notify");
                    close(ssl, fd);
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
            });
        ::close(listener);
        run.operations = static_cast<double>(p.iterations);
        return run;
    }
};

// ---- sockit: TlsContext and TlsStream over sockit's TCP classes --------------------------------
struct Sockit {
    sockit::TlsContext client = sockit::TlsContext::client();
    sockit::TlsContext server = sockit::TlsContext::server_from_pem(pem().chain, pem().key);
    Sockit() { client.add_ca_pem(pem().ca); }
    static Sockit& get() {
        static Sockit s;
        return s;
    }
    static inline std::error_code ignored; // a peer may be gone when its close_notify is sent
    static void maybe_timeout(sockit::TlsStream& s, const Params& p) {
        if (p.with_timeout) s.set_timeout(std::chrono::seconds(30));
    }

    static Run pingpong(const Params& p) {
        sockit::TcpServer listener("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                auto accepted = listener.accept();
                accepted.first.set_no_delay(true);
                auto tls = sockit::TlsStream::server(get().server, std::move(accepted.first));
                maybe_timeout(tls, p);
                std::vector<char> buf(p.message);
                std::error_code ec;
                for (;;) {
                    tls.recv_exactly(buf.data(), p.message, ec);
                    if (ec) break;
                    tls.send_all(buf.data(), p.message);
                }
            },
            [&] {
                sockit::TcpClient tcp("127.0.0.1", listener.port());
                tcp.set_no_delay(true);
                auto tls = sockit::TlsStream::client(get().client, std::move(tcp), "127.0.0.1");
                maybe_timeout(tls, p);
                tls.handshake();
                std::vector<char> buf(p.message, 'x');
                const auto start = Clock::now();
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    tls.send_all(buf.data(), p.message);
                    tls.recv_exactly(buf.data(), p.message);
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                tls.shutdown(ignored);
            });
        run.operations = static_cast<double>(p.iterations);
        return run;
    }

    static Run bulk(const Params& p) {
        sockit::TcpServer listener("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                auto accepted = listener.accept();
                accepted.first.set_no_delay(true);
                auto tls = sockit::TlsStream::server(get().server, std::move(accepted.first));
                maybe_timeout(tls, p);
                std::vector<char> buf(p.bulk_write);
                std::size_t got = 0;
                while (got < p.bulk_bytes) {
                    const std::size_t n = tls.recv(buf.data(), buf.size());
                    if (n == 0) die("sockit: early end");
                    got += n;
                }
                tls.send_all("k", 1);
                tls.shutdown(ignored);
            },
            [&] {
                sockit::TcpClient tcp("127.0.0.1", listener.port());
                tcp.set_no_delay(true);
                auto tls = sockit::TlsStream::client(get().client, std::move(tcp), "127.0.0.1");
                maybe_timeout(tls, p);
                tls.handshake();
                std::vector<char> buf(p.bulk_write, 'x');
                const auto start = Clock::now();
                for (std::size_t sent = 0; sent < p.bulk_bytes; sent += p.bulk_write)
                    tls.send_all(buf.data(), p.bulk_write);
                char k;
                tls.recv_exactly(&k, 1);
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                tls.shutdown(ignored);
            });
        run.operations = static_cast<double>(p.bulk_bytes) / (1 << 20);
        return run;
    }

    static Run handshakes(const Params& p) {
        sockit::TcpServer listener("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    auto accepted = listener.accept();
                    accepted.first.set_no_delay(true);
                    auto tls = sockit::TlsStream::server(get().server, std::move(accepted.first));
                    maybe_timeout(tls, p);
                    char k;
                    tls.recv_exactly(&k, 1); // the handshake, then the byte
                    tls.shutdown(ignored);
                }
            },
            [&] {
                const int port = listener.port();
                const auto start = Clock::now();
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    sockit::TcpClient tcp("127.0.0.1", port);
                    tcp.set_no_delay(true);
                    auto tls = sockit::TlsStream::client(get().client, std::move(tcp), "127.0.0.1");
                    maybe_timeout(tls, p);
                    tls.handshake();
                    tls.send_all("k", 1);
                    char end;
                    if (tls.recv(&end, 1) != 0) die("sockit: no close_notify");
                } // the destructor answers the close_notify if the socket takes it
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
            });
        run.operations = static_cast<double>(p.iterations);
        return run;
    }
};

// ---- Python's ssl, as a subprocess (bench/python_tls_bench.py) -------------------------------
std::string g_python_script = "bench/python_tls_bench.py";

Run python(const std::string& scenario, const Params& p) {
    const auto cpu = bench_cpus().second;
    std::string cmd = "taskset -c " + std::to_string(cpu) + " python3 " + g_python_script + " " + scenario + " " +
                      pem().dir + " ";
    if (scenario == "tls_bulk")
        cmd += std::to_string(p.bulk_bytes) + " " + std::to_string(p.bulk_write);
    else if (scenario == "tls_pingpong")
        cmd += std::to_string(p.iterations) + " " + std::to_string(p.message);
    else
        cmd += std::to_string(p.iterations);
    Run run;
    FILE* f = ::popen(cmd.c_str(), "r");
    if (f == nullptr) return run;
    char buf[256];
    std::string out;
    while (std::fgets(buf, sizeof buf, f) != nullptr) out += buf;
    if (::pclose(f) != 0) return run;
    std::sscanf(out.c_str(), "%lf %lf", &run.seconds, &run.operations);
    return run;
}

struct Variant {
    std::string name;
    std::function<Run(const Params&)> run;
};
struct Scenario {
    std::string name, title, unit;
    Params params;
    std::vector<Variant> variants;
};

std::vector<Scenario> scenarios(bool quick) {
    Params ping;
    ping.iterations = quick ? 2000 : 20000;
    Params bulk;
    bulk.bulk_bytes = quick ? (16u << 20) : (256u << 20);
    Params hs;
    hs.iterations = quick ? 100 : 1000;
    auto timed = [](Params p) {
        p.with_timeout = true;
        return p;
    };
    return {
        {"tls_pingpong",
         "TLS ping-pong, 64-byte messages",
         "round trips/s",
         ping,
         {{"raw", Raw::pingpong},
          {"sockit", Sockit::pingpong},
          {"sockit+timeout", [timed](const Params& p) { return Sockit::pingpong(timed(p)); }},
          {"python", [](const Params& p) { return python("tls_pingpong", p); }}}},
        {"tls_bulk",
         "TLS bulk transfer, 64 KiB writes",
         "MiB/s",
         bulk,
         {{"raw", Raw::bulk},
          {"sockit", Sockit::bulk},
          {"sockit+timeout", [timed](const Params& p) { return Sockit::bulk(timed(p)); }},
          {"python", [](const Params& p) { return python("tls_bulk", p); }}}},
        {"tls_handshake",
         "TLS connections: connect, full handshake (TLS 1.3, P-256), one byte, close_notify",
         "handshakes/s",
         hs,
         {{"raw", Raw::handshakes},
          {"sockit", Sockit::handshakes},
          {"python", [](const Params& p) { return python("tls_handshake", p); }}}},
    };
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run_all(bool quick, int reps, const std::string& only) {
    for (const Scenario& s : scenarios(quick)) {
        if (!only.empty() && s.name != only) continue;
        std::map<std::string, std::vector<double>> rates;
        std::map<std::string, std::vector<double>> ratios; // "sockit/raw" within each repetition
        for (int r = 0; r < reps; ++r) {
            std::map<std::string, double> rate;
            for (const Variant& v : s.variants) {
                const Run run = v.run(s.params);
                rate[v.name] = run.seconds > 0 ? run.operations / run.seconds : 0;
                rates[v.name].push_back(rate[v.name]);
            }
            for (const Variant& v : s.variants)
                if (v.name != "raw" && rate["raw"] > 0) ratios[v.name + "/raw"].push_back(rate[v.name] / rate["raw"]);
            if (rate["python"] > 0) ratios["sockit/python"].push_back(rate["sockit"] / rate["python"]);
        }
        std::cerr << "== " << s.title << " (" << s.unit << ", median of " << reps << ")\n";
        for (const Variant& v : s.variants)
            std::printf("%s %s = %.0f %s\n", s.name.c_str(), v.name.c_str(), median(rates[v.name]), s.unit.c_str());
        for (const auto& [name, values] : ratios)
            std::printf("%s: %s = %.3f\n", s.name.c_str(), name.c_str(), median(values));
        std::fflush(stdout);
    }
    return 0;
}

// One variant once, for strace: N round trips, N 64 KiB writes, or N handshakes.
int loop(const std::string& scenario, const std::string& variant, std::size_t n) {
    Params p;
    p.iterations = n;
    p.bulk_bytes = n * p.bulk_write;
    p.with_timeout = variant == "sockit+timeout";
    const bool raw = variant == "raw";
    if (!raw && variant != "sockit" && variant != "sockit+timeout") die("unknown variant " + variant);
    (void)pem(); // the certificate first, outside what is compared
    if (raw)
        Raw::get();
    else
        Sockit::get();
    if (scenario == "tls_pingpong")
        raw ? Raw::pingpong(p) : Sockit::pingpong(p);
    else if (scenario == "tls_bulk")
        raw ? Raw::bulk(p) : Sockit::bulk(p);
    else if (scenario == "tls_handshake")
        raw ? Raw::handshakes(p) : Sockit::handshakes(p);
    else
        die("unknown scenario " + scenario);
    return 0;
}

// operator new calls per TLS operation in a steady state: sockit's own code allocates nothing
// per record (OpenSSL's buffers come from its own allocator, not operator new).
int allocations() {
    sockit::TcpServer listener("127.0.0.1", 0);
    sockit::TcpClient tcp("127.0.0.1", listener.port());
    auto accepted = listener.accept();
    auto client = sockit::TlsStream::client(Sockit::get().client, std::move(tcp), "127.0.0.1");
    auto server = sockit::TlsStream::server(Sockit::get().server, std::move(accepted.first));
    client.set_timeout(std::chrono::seconds(10));
    server.set_timeout(std::chrono::seconds(10));
    std::thread t([&] { server.handshake(); });
    client.handshake();
    t.join();
    std::vector<char> big(64 << 10, 'x'), in(64 << 10);
    bool none = true;
    auto measure = [&](const char* what, auto&& op) {
        op(); // warm up
        const std::uint64_t before = g_allocations.load();
        constexpr int n = 200;
        for (int i = 0; i < n; ++i) op();
        const double per = static_cast<double>(g_allocations.load() - before) / n;
        std::printf("allocations: tls %s per op = %g\n", what, per);
        none = none && per == 0;
    };
    measure("send_all + recv_exactly (64 bytes)", [&] {
        client.send_all(big.data(), 64);
        server.recv_exactly(in.data(), 64);
    });
    measure("send_all + recv_exactly (16 KiB, a full record)", [&] {
        client.send_all(big.data(), 16384);
        server.recv_exactly(in.data(), 16384);
    });
    measure("send_all + recv (64 KiB, 4 records)", [&] {
        client.send_all(big.data(), big.size()); // fits in loopback's socket buffers
        server.recv_exactly(in.data(), in.size());
    });
    return none ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    bool quick = false;
    int reps = 5;
    std::string only;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--quick")
            quick = true;
        else if (args[i] == "--reps" && i + 1 < args.size())
            reps = std::atoi(args[++i].c_str());
        else if (args[i] == "--only" && i + 1 < args.size())
            only = args[++i];
        else if (args[i] == "--python-script" && i + 1 < args.size())
            g_python_script = args[++i];
        else if (args[i] == "--loop" && i + 3 < args.size())
            return std::signal(SIGPIPE, SIG_IGN),
                   loop(args[i + 1], args[i + 2], static_cast<std::size_t>(std::atol(args[i + 3].c_str())));
        else if (args[i] == "--allocations")
            return allocations();
        else {
            std::fprintf(stderr, "usage: tls_bench [--quick] [--reps N] [--only SCENARIO] | --loop SCENARIO VARIANT N "
                                 "| --allocations\n");
            return 2;
        }
    }
    // Raw OpenSSL's socket BIO writes with write(2): a peer that has gone raises SIGPIPE, so
    // the raw variant needs it ignored, process-wide (sockit sends with MSG_NOSIGNAL).
    std::signal(SIGPIPE, SIG_IGN);
    (void)pem();
    return run_all(quick, reps > 0 ? reps : 1, only);
}
