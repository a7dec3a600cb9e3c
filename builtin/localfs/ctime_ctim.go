//go:build linux || openbsd || dragonfly || solaris

package localfs

import (
	"io/fs"
	"syscall"
)

// changeTime returns the inode change time (ctime) of a file of the
// operating system's (from os.Stat, os.DirFS or an *os.File), which the
// kernel sets on every change of the file's contents or attributes and no
// user can set back; ok is false for other FileInfos.
func changeTime(info fs.FileInfo) (sec, nsec int64, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	sec, nsec = st.Ctim.Unix()
	return sec, nsec, true
}
