#include "support/fake_terminal.h"

#include <algorithm>
#include <cctype>

namespace spate::testing {

void FakeTerminal::feed(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\r') {
      col_ = 0;
      pending_wrap_ = false;
    } else if (c == '\n') {
      ++row_;
      col_ = 0;
      pending_wrap_ = false;
    } else if (c == '\x1b') {
      i = escape(bytes, i);
    } else if (std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      violations.push_back("control character " + std::to_string(c));
    } else {
      put(c);
    }
  }
}

std::vector<std::string> FakeTerminal::screen() const {
  std::vector<std::string> out;
  for (std::string row : rows_) {
    row.erase(row.find_last_not_of(' ') + 1);
    out.push_back(row);
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::size_t FakeTerminal::escape(std::string_view bytes, std::size_t i) {
  std::size_t j = i + 1;
  if (j >= bytes.size() || bytes[j] != '[') {
    violations.emplace_back("lone ESC");
    return i;
  }
  std::string digits;
  for (++j; j < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[j])) != 0; ++j) {
    digits += bytes[j];
  }
  const char final = j < bytes.size() ? bytes[j] : '\0';
  if (final == 'K' && digits.empty()) {
    line().resize(std::min(line().size(), col_));  // in pending wrap, this erases the last cell
  } else if (final == 'A' && !digits.empty() && std::stoul(digits) >= 1) {
    const std::size_t up = std::stoul(digits);
    if (up > row_) violations.emplace_back("cursor moved above the first row");
    row_ = up > row_ ? 0 : row_ - up;
    pending_wrap_ = false;
  } else {
    violations.push_back("escape sequence ESC[" + digits + final);
  }
  return j;
}

std::string& FakeTerminal::line() {
  if (rows_.size() <= row_) rows_.resize(row_ + 1);
  return rows_[row_];
}

void FakeTerminal::put(char c) {
  if (pending_wrap_) {
    ++row_;
    col_ = 0;
    pending_wrap_ = false;
    ++wraps;
  }
  std::string& text = line();
  if (text.size() <= col_) text.resize(col_ + 1, ' ');
  text[col_] = c;
  if (col_ + 1 == width_) {
    pending_wrap_ = true;
  } else {
    ++col_;
  }
}

}  // namespace spate::testing
