# -*- coding: utf-8 -*-
# The document's TCP chat client over TLS with Python's ssl module and its default
# context (certificate and host name verified): tls_client.py PORT CA [NAME]
# connects to 127.0.0.1:PORT trusting CA and checking NAME (default 127.0.0.1), sends
# each line of standard input and prints "<< reply"; at end of input it sends
# close_notify. A TLS failure is one line on standard error and exit status 1.
import socket
import ssl
import sys


def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    context = ssl.create_default_context(cafile=ca)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as tcp:
            with context.wrap_socket(tcp, server_hostname=name) as tls:
                for line in sys.stdin:
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    tls.sendall(line.encode("utf-8"))
                    print("<< %s" % tls.recv(4096).decode("utf-8"), flush=True)
                tls.unwrap()  # close_notify
    except (ssl.SSLError, OSError) as e:
        print("tls_client.py: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
