/* bench/nfq_delay.c: a fixed one-way delay for the benchmark's long path, in userspace.
 *
 * This kernel has no netem qdisc, so bench/netns.sh sends every packet that enters a namespace
 * to an NFQUEUE (iptables -j NFQUEUE) and this program, running in that namespace, holds each
 * one for DELAY_MS and then accepts it. Since the delay is the same for every packet, the
 * packets fall due in arrival order: a FIFO ring is the whole timer queue, and one batch
 * verdict (accept every id up to N) releases all due packets at once, in order.
 *
 * usage: nfq_delay -q QUEUE -d DELAY_MS [-t MAX_SECONDS] [-s STATS_FILE]
 *
 * It stops on SIGTERM/SIGINT or after MAX_SECONDS (default 7200), accepts what it still holds,
 * and prints its counters (packets, deepest queue, late releases) to stderr and STATS_FILE.
 * Build: gcc -O2 -Wall -Wextra -o nfq_delay nfq_delay.c -lnetfilter_queue -lnfnetlink
 * Single-threaded; needs CAP_NET_ADMIN in the namespace it runs in.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kRingSize = 1 << 18 }; /* packets held at once; a power of two */

struct Held {
  uint32_t id;
  int64_t due_ns;
};

static struct Held ring[kRingSize];
static uint64_t head; /* next to release */
static uint64_t tail; /* next free slot */
static int64_t delay_ns;
static uint64_t packets, late, max_depth;
static volatile sig_atomic_t stop;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static int on_packet(struct nfq_q_handle* qh, struct nfgenmsg* msg, struct nfq_data* nfa,
                     void* data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph == NULL) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (tail - head == kRingSize) {
    /* Cannot happen: the main loop stops reading while the ring is full. Keep the order. */
    nfq_set_verdict_batch(qh, id, NF_ACCEPT);
    head = tail;
    return 0;
  }
  ring[tail % kRingSize] = (struct Held){id, now_ns() + delay_ns};
  tail++;
  packets++;
  if (tail - head > max_depth) max_depth = tail - head;
  return 0;
}

/* Accepts every held packet that is due at NOW (all of them when NOW < 0). */
static void release_due(struct nfq_q_handle* qh, int64_t now) {
  uint64_t last = head;
  while (last != tail && (now < 0 || ring[last % kRingSize].due_ns <= now)) {
    if (now >= 0 && now - ring[last % kRingSize].due_ns > 1000000) late++; /* > 1 ms late */
    last++;
  }
  if (last == head) return;
  /* Batch verdict: accepts every queued packet whose id is <= this one, in queue order. */
  nfq_set_verdict_batch(qh, ring[(last - 1) % kRingSize].id, NF_ACCEPT);
  head = last;
}

static void usage(void) {
  fprintf(stderr, "usage: nfq_delay -q QUEUE -d DELAY_MS [-t MAX_SECONDS] [-s STATS_FILE]\n");
  exit(2);
}

int main(int argc, char** argv) {
  long queue = -1, delay_ms = -1, max_seconds = 7200;
  const char* stats_file = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "q:d:t:s:")) != -1) {
    switch (opt) {
      case 'q':
        queue = strtol(optarg, NULL, 10);
        break;
      case 'd':
        delay_ms = strtol(optarg, NULL, 10);
        break;
      case 't':
        max_seconds = strtol(optarg, NULL, 10);
        break;
      case 's':
        stats_file = optarg;
        break;
      default:
        usage();
    }
  }
  if (queue < 0 || queue > 65535 || delay_ms < 0 || delay_ms > 10000 || max_seconds <= 0) usage();
  delay_ns = delay_ms * 1000000;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  struct nfq_handle* h = nfq_open();
  if (h == NULL) {
    perror("nfq_open");
    return 1;
  }
  struct nfq_q_handle* qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
  if (qh == NULL) {
    perror("nfq_create_queue");
    return 1;
  }
  /* Metadata only (the id): the payload is never copied to userspace. GSO: whole TSO/GSO
   * super-packets are queued instead of being segmented first. */
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(qh, kRingSize) < 0) {
    perror("nfq_set_mode/maxlen");
    return 1;
  }
  if (nfq_set_queue_flags(qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0) perror("nfq_set_queue_flags");
  int fd = nfq_fd(h);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 * 1024 * 1024);
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
  fprintf(stderr, "nfq_delay: queue %ld, %ld ms\n", queue, delay_ms);

  static char buf[65536] __attribute__((aligned));
  const int64_t deadline = now_ns() + (int64_t)max_seconds * 1000000000;
  int64_t now = now_ns();
  while (!stop && now < deadline) { /* bounded by MAX_SECONDS */
    release_due(qh, now);
    /* Sleep until the next packet is due (at most 100 ms, so stop and the deadline are seen),
     * or until a packet arrives; while the ring is full, only wait for the head. */
    int64_t wait_ns = 100000000;
    if (head != tail) {
      int64_t until = ring[head % kRingSize].due_ns - now;
      if (until < wait_ns) wait_ns = until > 0 ? until : 0;
    }
    struct pollfd pfd = {fd, tail - head < kRingSize ? POLLIN : 0, 0};
    struct timespec ts = {wait_ns / 1000000000, wait_ns % 1000000000};
    int n = ppoll(&pfd, 1, &ts, NULL);
    if (n < 0 && errno != EINTR) {
      perror("ppoll");
      break;
    }
    if (n > 0 && (pfd.revents & POLLIN)) {
      /* Drain what is there (bounded: at most the free ring slots). */
      for (int i = 0; i < 4096 && tail - head < kRingSize; i++) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got <= 0) break;
        nfq_handle_packet(h, buf, (int)got);
      }
    }
    now = now_ns();
  }
  release_due(qh, -1);

  char line[200];
  snprintf(line, sizeof line, "packets=%llu max_depth=%llu late_1ms=%llu\n",
           (unsigned long long)packets, (unsigned long long)max_depth, (unsigned long long)late);
  fputs(line, stderr);
  if (stats_file != NULL) {
    FILE* f = fopen(stats_file, "w");
    if (f != NULL) {
      fputs(line, f);
      fclose(f);
    }
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
