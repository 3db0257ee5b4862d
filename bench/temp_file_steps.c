// What each step of a finished small download's file handling costs, in CPU microseconds per
// file, with no network: COUNT files of 16 KiB created, written and given their final name in
// DIR, ROUNDS times per variant, variants alternating. Run by bench/temp_file_steps.sh.
//
//   named      open NAME.part (O_EXCL), flock, pwrite, renameat2(NOREPLACE), close: spate since
//              dd6b525 (the rename finds an existing NAME)
//   named-stat the same after a stat of NAME: spate before dd6b525
//   named-nolock  named without the flock, which no download may skip (another process could
//              take NAME.part over)
//   named-at   named with the names relative to a descriptor of DIR (openat, renameat2): no walk
//              of DIR's path in each call; spate since 65319fc
//   unnamed stat NAME, stat NAME.part, open O_TMPFILE, pwrite, linkat(AT_EMPTY_PATH), close
//   final      open NAME (O_CREAT|O_TRUNC), fstat, write, close: no temp file at all (curl, wget)
//   held       stat NAME, stat NAME.part, then open NAME (O_EXCL), write, close: a body held in
//              memory and written once it is complete. Not atomic: a process killed during the
//              write leaves a short file under the final name, which the other variants never do
//   held-nopart  the same without the stat of NAME.part
//
// usage: temp_file_steps DIR [COUNT] [ROUNDS]
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { kVariants = 8 };
static const char* const kNames[kVariants] = {
    "named", "unnamed", "final", "held", "held-nopart", "named-stat", "named-nolock", "named-at"};
static char block[16384];
static int dir_fd = -1;

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int empty_directory(const char* dir) {
  DIR* d = opendir(dir);
  if (d == NULL) return -1;
  char path[4096];
  for (struct dirent* e = readdir(d); e != NULL; e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  return closedir(d);
}

// One file the way `variant` does it; 0 when every call succeeded.
static int one_file(int variant, const char* dir, const char* name, const char* part) {
  struct stat info;
  int fd = -1;
  int failed = 0;
  switch (variant) {
    case 0:
    case 5:
    case 6:
    case 7: {
      // named-at passes the last component only, relative to dir_fd.
      const int at = variant == 7 ? dir_fd : AT_FDCWD;
      const char* name_at = variant == 7 ? strrchr(name, '/') + 1 : name;
      const char* part_at = variant == 7 ? strrchr(part, '/') + 1 : part;
      if (variant == 5) failed |= stat(name, &info) == 0;
      fd = openat(at, part_at, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      failed |= fd < 0 || (variant != 6 && flock(fd, LOCK_EX | LOCK_NB) != 0);
      failed |= pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block;
      failed |= renameat2(at, part_at, at, name_at, RENAME_NOREPLACE) != 0;
      break;
    }
    case 1:
      failed |= stat(name, &info) == 0 || stat(part, &info) == 0;
      fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
      failed |= fd < 0 || pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block;
      failed |= linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH) != 0;
      break;
    case 3:
    case 4:
      failed |= stat(name, &info) == 0 || (variant == 3 && stat(part, &info) == 0);
      fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      failed |= fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block;
      break;
    default:
      fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      failed |= fd < 0 || fstat(fd, &info) != 0;
      failed |= write(fd, block, sizeof block) != (ssize_t)sizeof block;
      break;
  }
  return failed | (fd >= 0 && close(fd) != 0);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [COUNT] [ROUNDS]\n", argv[0]);
    return 2;
  }
  const char* dir = argv[1];
  dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    perror(dir);
    return 1;
  }
  const int count = argc > 2 ? atoi(argv[2]) : 2000;
  const int rounds = argc > 3 ? atoi(argv[3]) : 20;
  double total[kVariants] = {0};
  char name[4096];
  char part[4200];
  for (int round = 0; round < rounds; ++round) {
    for (int variant = 0; variant < kVariants; ++variant) {
      if (empty_directory(dir) != 0) {
        perror(dir);
        return 1;
      }
      const double start = cpu_seconds();
      for (int i = 0; i < count; ++i) {
        snprintf(name, sizeof name, "%s/f%06d", dir, i);
        snprintf(part, sizeof part, "%s.part", name);
        if (one_file(variant, dir, name, part) != 0) {
          fprintf(stderr, "%s: a call failed on %s\n", kNames[variant], name);
          return 1;
        }
      }
      total[variant] += cpu_seconds() - start;
    }
  }
  empty_directory(dir);
  for (int variant = 0; variant < kVariants; ++variant) {
    printf("%-12s %5.1f us per file\n", kNames[variant], total[variant] / rounds / count * 1e6);
  }
  return 0;
}
