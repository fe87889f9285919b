package io.jtune.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The socket ring alone, its workers as threads over loopback: sums in rank order, gathers in rank order, fails on a lost peer. */
@Timeout(60)
class SocketRingTest {
    /** Runs {@code body} on each of {@code size} joined workers; returns their results in rank order. */
    static <T> List<T> onRing(int size, Function<SocketRing, T> body) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            servers.add(s);
            addresses.add("127.0.0.1:" + s.getLocalPort());
        }
        ExecutorService pool = Executors.newFixedThreadPool(size);
        try {
            List<Future<T>> runs = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                int rank = r;
                runs.add(pool.submit(() -> {
                    try (ServerSocket server = servers.get(rank);
                         SocketRing ring = SocketRing.join(rank, server, addresses, "test-run", 10_000)) {
                        return body.apply(ring);
                    }
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : runs) results.add(f.get());
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    static float[] values(int rank, int n) {
        Random random = new Random(rank);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian() * (1 << random.nextInt(20));
        return v;
    }

    @Test
    void everyWorkerGetsTheSumInRankOrderBitForBit() throws Exception {
        int n = SocketRing.CHUNK_FLOATS * 2 + 5; // two whole chunks and a tail
        for (int size : new int[] {1, 2, 3}) {
            float[] expected = values(0, n);
            for (int r = 1; r < size; r++) {
                float[] v = values(r, n);
                for (int i = 0; i < n; i++) expected[i] = expected[i] + v[i];
            }
            List<float[]> sums = onRing(size, ring -> {
                float[] v = values(ring.rank(), n);
                ring.allReduceSum(v);
                return v;
            });
            for (float[] s : sums) assertArrayEquals(expected, s, "workers: " + size);
        }
    }

    @Test
    void allGatherReturnsEveryPayloadInRankOrder() throws Exception {
        List<List<byte[]>> gathered = onRing(3, ring -> ring.allGather(new byte[] {(byte) ring.rank(), (byte) (10 * ring.rank())}));
        for (List<byte[]> g : gathered) {
            assertEquals(3, g.size());
            for (int r = 0; r < 3; r++) assertArrayEquals(new byte[] {(byte) r, (byte) (10 * r)}, g.get(r));
        }
    }

    @Test
    void aLostPeerFailsTheExchangeInsteadOfHangingIt() {
        ExecutionException e = assertThrows(ExecutionException.class, () -> onRing(3, ring -> {
            if (ring.rank() == 2) return null; // worker 2 leaves: its sockets close
            ring.allReduceSum(new float[1000]);
            return null;
        }));
        assertEquals(java.io.UncheckedIOException.class, e.getCause().getClass());
    }
}
