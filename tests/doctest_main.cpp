#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <csignal>

// The tests run the same I/O code as sakura-broker, whose main ignores SIGPIPE: a server that a
// fault test kills mid-write (hiredis writes with write(), not send(MSG_NOSIGNAL)) must give EPIPE
// and a failed command, not kill the test process.
int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  doctest::Context context(argc, argv);
  return context.run();
}
