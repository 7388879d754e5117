/* fake_te_bench.c — stand-in for te_bench, to prove the cluster scripts and jobs/
 * before (or without) the real binary. NOT a benchmark of anything that matters.
 *
 * Build:  mpicc -O2 -o fake_te_bench tests/cluster/fake_te_bench.c
 *
 * Speaks te_bench's command line (subset, values ignored except where noted):
 *   --transport auto|tcp  --operation read|write  --block-size S  --batch-size N
 *   --threads N  --buffer-size S  --duration SEC  --warmup SEC  --schedule pairs
 *   --json FILE  --log-level L  --expect-* VALUE (accepted, ignored)
 *   --fake-exit N   (stand-in only: exit with N after the run, to test propagation)
 * Unknown flag / bad value -> exit 2, like te_bench.
 *
 * Measures every ordered pair (initiator -> target) one after the other with MPI
 * point-to-point (so over btl tcp, through the namespaces' shaped links), for
 * duration / (n*(n-1)) seconds each, and rank 0 writes
 *   {"links":[{"initiator":"h1","target":"h2","initiator_rank":1,"target_rank":2,
 *              "bytes":..., "seconds":..., "bytes_per_second":...}, ...]}
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG (1 << 20)

static int bad(int rank, const char *what, const char *arg) {
    if (rank == 0) fprintf(stderr, "fake_te_bench: %s: %s\n", what, arg);
    return 2;
}

int main(int argc, char **argv) {
    int rank = 0, n = 1, fake_exit = 0;
    double duration = 2.0;
    const char *json = NULL;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &n);

    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *f = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        static const char *valued[] = {"--operation", "--block-size", "--batch-size", "--threads",
                                       "--buffer-size", "--warmup", "--schedule", "--log-level", 0};
        int known = 0;
        for (const char **k = valued; *k; k++) known |= !strcmp(f, *k);
        if (!strncmp(f, "--expect", 8)) known = 1;
        if (!strcmp(f, "--transport") || !strcmp(f, "--duration") || !strcmp(f, "--json") ||
            !strcmp(f, "--fake-exit")) known = 1;
        if (!known) { rc = bad(rank, "unknown flag", f); break; }
        if (!v) { rc = bad(rank, "missing value for", f); break; }
        if (!strcmp(f, "--transport") && strcmp(v, "auto") && strcmp(v, "tcp"))
            rc = bad(rank, "--transport must be auto|tcp, not", v);
        if (!strcmp(f, "--duration")) duration = atof(v);
        if (!strcmp(f, "--json")) json = v;
        if (!strcmp(f, "--fake-exit")) fake_exit = atoi(v);
        i++;
    }
    if (rc) { MPI_Finalize(); return rc; }

    char host[64] = {0};
    gethostname(host, sizeof host - 1);
    char *hosts = malloc(64 * (size_t)n);
    MPI_Allgather(host, 64, MPI_CHAR, hosts, 64, MPI_CHAR, MPI_COMM_WORLD);

    char *buf = malloc(MSG);
    memset(buf, rank, MSG);
    int pairs = n * (n - 1);
    double per_pair = pairs ? duration / pairs : 0;
    if (per_pair < 0.05) per_pair = 0.05;
    double *bytes = calloc((size_t)n, sizeof *bytes), *secs = calloc((size_t)n, sizeof *secs);

    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++) {
            if (a == b) continue;
            MPI_Barrier(MPI_COMM_WORLD);
            if (rank == a) {
                double t0 = MPI_Wtime(), sent = 0;
                int go = 1;
                while (go) {
                    go = MPI_Wtime() - t0 < per_pair;
                    MPI_Send(buf, go ? MSG : 0, MPI_CHAR, b, go ? 1 : 2, MPI_COMM_WORLD);
                    if (go) sent += MSG;
                }
                char ack;
                MPI_Recv(&ack, 1, MPI_CHAR, b, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                bytes[b] = sent;
                secs[b] = MPI_Wtime() - t0;
            } else if (rank == b) {
                MPI_Status st;
                do MPI_Recv(buf, MSG, MPI_CHAR, a, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
                while (st.MPI_TAG == 1);
                char ack = 1;
                MPI_Send(&ack, 1, MPI_CHAR, a, 3, MPI_COMM_WORLD);
            }
        }

    double *all_b = rank == 0 ? malloc(sizeof(double) * n * n) : NULL;
    double *all_s = rank == 0 ? malloc(sizeof(double) * n * n) : NULL;
    MPI_Gather(bytes, n, MPI_DOUBLE, all_b, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    MPI_Gather(secs, n, MPI_DOUBLE, all_s, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        FILE *out = json ? fopen(json, "w") : NULL;
        if (json && !out) { perror(json); rc = 1; }
        if (out) fprintf(out, "{\"tool\":\"fake_te_bench\",\"ranks\":%d,\"links\":[", n);
        int first = 1;
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) {
                if (a == b) continue;
                double bps = all_s[a * n + b] > 0 ? all_b[a * n + b] / all_s[a * n + b] : 0;
                printf("%s -> %s  %8.1f MB/s\n", hosts + 64 * a, hosts + 64 * b, bps / 1e6);
                if (out)
                    fprintf(out, "%s\n {\"initiator\":\"%s\",\"target\":\"%s\",\"initiator_rank\":%d,"
                            "\"target_rank\":%d,\"bytes\":%.0f,\"seconds\":%.6f,\"bytes_per_second\":%.1f}",
                            first ? "" : ",", hosts + 64 * a, hosts + 64 * b, a, b,
                            all_b[a * n + b], all_s[a * n + b], bps);
                first = 0;
            }
        if (out) { fprintf(out, "\n]}\n"); fclose(out); }
    }
    MPI_Finalize();
    return rc ? rc : fake_exit;
}
