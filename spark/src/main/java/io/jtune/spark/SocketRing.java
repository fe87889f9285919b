package io.jtune.spark;

import io.jtune.train.DataParallel;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * The workers of a run joined in a ring of plain TCP sockets: each sends to the next rank and
 * receives from the previous one. Small payloads go once around the ring ({@link #allGather}); the
 * gradients are summed by {@link #allReduceSum} in two pipelined passes over the same links, in
 * chunks, so that no worker ever holds more than a few chunks besides its own gradients:
 *
 * <ol>
 *   <li>reduce: rank 0 sends its chunk to rank 1, which adds its own and passes it on, ... up to rank
 *       N-1, which then holds the sum {@code ((g0 + g1) + g2) + ...} — every chunk added in rank order;</li>
 *   <li>broadcast: rank N-1 sends the sums to rank 0, which keeps and forwards them, ... up to rank N-2.</li>
 * </ol>
 *
 * Each link carries the gradients twice, against the 2(N-1)/N of a reduce-scatter ring whose
 * chunks are summed in N different orders: the fixed order is what makes every worker's sum, and so
 * the run, the same bits whatever N is. A send runs on its own thread while the caller receives, so
 * that neither side of a link waits on the other's buffers.
 */
public final class SocketRing implements DataParallel, Closeable {
    /** Floats per chunk of the gradient passes: 1 MiB on the wire. */
    static final int CHUNK_FLOATS = 1 << 18;
    /** Chunks a worker may have queued for sending: bounds the memory of a pass whatever the model's size. */
    private static final int SENDS_IN_FLIGHT = 4;

    private final int rank;
    private final int size;
    private final Socket toNext;
    private final Socket fromPrevious;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender;
    private final Semaphore inFlight = new Semaphore(SENDS_IN_FLIGHT);
    private final List<Future<?>> sends = new ArrayList<>();

    private SocketRing(int rank, int size, Socket toNext, Socket fromPrevious) throws IOException {
        this.rank = rank;
        this.size = size;
        this.toNext = toNext;
        this.fromPrevious = fromPrevious;
        this.out = toNext == null ? null : new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
        this.in = fromPrevious == null ? null : new DataInputStream(new BufferedInputStream(fromPrevious.getInputStream(), 1 << 16));
        this.sender = toNext == null ? null : Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jtune-ring-send-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Joins the ring: connects to the next rank's {@code addresses} entry and accepts the previous
     * rank on {@code server}, both within {@code timeoutMillis}, which also bounds every later wait
     * for a peer (a dead peer fails the step rather than hanging it).
     *
     * @param addresses every rank's "host:port", in rank order
     * @param runId     the same on every worker of a run: a stray connection from another run is refused
     */
    public static SocketRing join(int rank, ServerSocket server, List<String> addresses, String runId, int timeoutMillis)
            throws IOException {
        int size = addresses.size();
        if (size == 1) return new SocketRing(0, 1, null, null);
        Socket next = connect(addresses.get((rank + 1) % size), timeoutMillis);
        next.setTcpNoDelay(true);
        DataOutputStream hello = new DataOutputStream(next.getOutputStream());
        hello.writeUTF(runId);
        hello.writeInt(rank);
        hello.flush();
        server.setSoTimeout(timeoutMillis);
        int expected = (rank + size - 1) % size;
        while (true) {
            Socket previous = server.accept();
            previous.setSoTimeout(timeoutMillis);
            DataInputStream greeting = new DataInputStream(previous.getInputStream());
            if (greeting.readUTF().equals(runId) && greeting.readInt() == expected) {
                previous.setTcpNoDelay(true);
                next.setSoTimeout(timeoutMillis);
                return new SocketRing(rank, size, next, previous);
            }
            previous.close(); // not our neighbour: another run's, or a retried attempt's leftover
        }
    }

    private static Socket connect(String hostPort, int timeoutMillis) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        InetSocketAddress address = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(address, timeoutMillis);
                return s;
            } catch (IOException e) {
                s.close();
                if (System.nanoTime() > deadline) throw new IOException("cannot reach the next worker at " + hostPort + ": " + e.getMessage(), e);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while joining the ring", ie);
                }
            }
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return size;
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        byte[][] all = new byte[size][];
        all[rank] = mine;
        // N-1 rounds: pass on what arrived last round (first one's own), receive the previous rank's
        byte[] passing = mine;
        for (int round = 1; round < size; round++) {
            send(passing);
            passing = receive();
            all[(rank - round + size) % size] = passing;
        }
        finishSends();
        return List.of(all);
    }

    @Override
    public void allReduceSum(float[] values) {
        if (size == 1) return;
        float[] incoming = new float[Math.min(CHUNK_FLOATS, values.length)];
        // reduce: the partial sums of ranks 0..r-1 arrive, this rank's values are added, the result moves on
        for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - from);
            if (rank > 0) {
                readFloats(incoming, n);
                for (int i = 0; i < n; i++) values[from + i] = incoming[i] + values[from + i];
            }
            if (rank < size - 1) send(floatBytes(values, from, n));
        }
        // broadcast: rank N-1's sums go round to rank N-2
        for (int from = 0; from < values.length; from += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - from);
            if (rank != size - 1) {
                readFloats(incoming, n);
                System.arraycopy(incoming, 0, values, from, n);
            }
            if (rank != size - 2) send(floatBytes(values, from, n));
        }
        finishSends();
    }

    private static byte[] floatBytes(float[] v, int from, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v, from, n);
        return b.array();
    }

    private void readFloats(float[] into, int n) {
        byte[] bytes = receive();
        if (bytes.length != n * Float.BYTES) {
            throw new IllegalStateException("worker " + rank + " expected " + n + " floats from the previous worker, got "
                    + bytes.length + " bytes: the workers disagree on the model's size");
        }
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(into, 0, n);
    }

    /** Queues a message for the next rank; at most a few wait, so a slow link bounds the memory it costs. */
    private void send(byte[] message) {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending to the next worker", e);
        }
        sends.add(sender.submit(() -> {
            try {
                out.writeInt(message.length);
                out.write(message);
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("worker " + rank + " lost the next worker: " + describe(e), e);
            } finally {
                inFlight.release();
            }
        }));
    }

    private byte[] receive() {
        try {
            byte[] message = new byte[in.readInt()];
            in.readFully(message);
            return message;
        } catch (IOException e) {
            throw new UncheckedIOException("worker " + rank + " lost the previous worker: " + describe(e), e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof java.io.EOFException ? "the connection closed" : e.getMessage();
    }

    /** Waits for the queued sends, so that a failed one fails this exchange. */
    private void finishSends() {
        try {
            for (Future<?> f : sends) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending to the next worker", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } finally {
            sends.clear();
        }
    }

    @Override
    public void close() throws IOException {
        if (sender != null) sender.shutdownNow();
        if (toNext != null) toNext.close();
        if (fromPrevious != null) fromPrevious.close();
    }
}
