// Command etcd is the etcd server, built from the go.etcd.io/etcd/server/v3 release pinned in
// go.mod so the kube tests need no etcd release tarball: etcdmain is the package etcd's own
// binary runs, and it takes the same flags.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
