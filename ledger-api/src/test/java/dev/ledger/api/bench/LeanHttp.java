package dev.ledger.api.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The benchmark's load generator: HTTP/1.1 with keep-alive over one blocking socket per connection, the request bytes
 * built once. The JDK's HttpClient cost the bench about 0.57 of a core in phase (b) on this two-core machine, CPU the
 * ledger and PostgreSQL then lacked; issue 13 allows a leaner client if every HTTP phase uses it, and they all do.
 * It reads exactly what this bench's answers use: the status line, {@code Content-Length} or chunked bodies.
 */
final class LeanHttp implements AutoCloseable {

    /** A request's bytes: request line, headers and body. */
    record Request(byte[] bytes) {
        static Request post(URI base, String path, String key, String idempotencyKey, String body) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder(256).append("POST ").append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(base.getHost()).append(':').append(base.getPort()).append("\r\nAuthorization: Bearer ").append(key)
                    .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(b.length).append("\r\n");
            if (idempotencyKey != null) {
                h.append("Idempotency-Key: ").append(idempotencyKey).append("\r\n");
            }
            byte[] head = h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[head.length + b.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(b, 0, all, head.length, b.length);
            return new Request(all);
        }

        static Request get(URI base, String path, String key) {
            return new Request(("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ':' + base.getPort()
                    + "\r\nAuthorization: Bearer " + key + "\r\nAccept: application/json\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
    }

    record Response(int status, String body) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    LeanHttp(URI base) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        socket.setSoTimeout(60_000);
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    Response send(Request r) throws IOException {
        out.write(r.bytes());
        out.flush();
        String status = line();
        if (status == null || !status.startsWith("HTTP/1.1 ") || status.length() < 12) {
            throw new IOException("no HTTP answer: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String h;
        while ((h = line()) != null && !h.isEmpty()) {
            int colon = h.indexOf(':');
            String name = colon < 0 ? h : h.substring(0, colon).strip();
            String value = colon < 0 ? "" : h.substring(colon + 1).strip();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
                chunked = true;
            } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
                close = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(length > 0 ? (int) length : 512);
        if (chunked) {
            while (true) {
                String size = line();
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
                if (n == 0) {
                    while ((h = line()) != null && !h.isEmpty()) {
                        // trailers
                    }
                    break;
                }
                body.write(in.readNBytes(n));
                line();
            }
        } else if (length > 0) {
            body.write(in.readNBytes((int) length));
        }
        if (close) {
            socket.close();
        }
        return new Response(code, body.toString(StandardCharsets.UTF_8));
    }

    boolean isOpen() {
        return !socket.isClosed();
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder(64);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int n = s.length();
                return n > 0 && s.charAt(n - 1) == '\r' ? s.substring(0, n - 1) : s.toString();
            }
            s.append((char) c);
        }
        return s.isEmpty() ? null : s.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Connections for many requests in flight (the open loop): an idle one is reused, else one is opened. */
    static final class Pool implements AutoCloseable {
        private final URI base;
        private final ConcurrentLinkedQueue<LeanHttp> idle = new ConcurrentLinkedQueue<>();

        Pool(URI base) {
            this.base = base;
        }

        Response send(Request r) throws IOException {
            LeanHttp c = idle.poll();
            if (c == null) {
                c = new LeanHttp(base);
            }
            try {
                Response answer = c.send(r);
                if (c.isOpen()) {
                    idle.add(c);
                }
                return answer;
            } catch (IOException | RuntimeException e) {
                c.close();
                throw e;
            }
        }

        @Override
        public void close() {
            LeanHttp c;
            while ((c = idle.poll()) != null) {
                c.close();
            }
        }
    }
}
