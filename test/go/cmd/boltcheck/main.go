// Command boltcheck checks and dumps a bbolt database with the real go.etcd.io/bbolt, or writes one
// from a list of operations, so the TypeScript bbolt writer and reader (src/bbolt) can be tested
// against the reference implementation.
//
//	boltcheck [-dump=false] <file>
//	    Opens <file> read-only, runs tx.Check() and walks every bucket. Output, JSON lines:
//	      {"t":"error","msg":"..."}                        one per Check() error
//	      {"t":"b","p":["<hex name>",...]}                   a bucket (p: names from the root down)
//	      {"t":"k","p":[...],"k":"<hex>","v":"<hex>"}         a key of the bucket at p
//	      {"t":"info","pageSize":4096,"txid":7,"size":...,"freePages":0,"pendingPages":0,
//	       "checkErrors":0,"buckets":3,"keys":10,"digest":"<sha256 hex>"}
//	    Buckets and keys come in byte order, a bucket's line before its contents (bbolt's cursor
//	    order, depth first). digest is the SHA-256 of all "b" and "k" lines, each followed by "\n",
//	    also when -dump=false leaves them out. Exit status 0, or 3 if Check() reported errors.
//
//	boltcheck -write [-pagesize 4096] [-nofreelistsync] [-fill 0.5] <file> < ops.jsonl
//	    Opens (creating if missing) <file> read-write and applies operations read as JSON lines:
//	      {"op":"bucket","p":[...]}                 create the bucket at p (and its parents) if missing
//	      {"op":"put","p":[...],"k":"<hex>","v":"<hex>"}
//	      {"op":"del","p":[...],"k":"<hex>"}
//	      {"op":"delbucket","p":[...]}              delete the bucket at p (its last name) and its contents
//	      {"op":"commit"}                           commit; the following operations go to a new transaction
//	    Everything after the last commit is committed at the end.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

func main() {
	write := flag.Bool("write", false, "apply operations from stdin to the file instead of checking it")
	dump := flag.Bool("dump", true, "print every bucket and key (the digest is printed either way)")
	pageSize := flag.Int("pagesize", 4096, "page size for a new file (-write)")
	noFreelistSync := flag.Bool("nofreelistsync", false, "do not sync the freelist, as etcd runs bbolt (-write)")
	fill := flag.Float64("fill", bolt.DefaultFillPercent, "bucket fill percent for puts (-write)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: boltcheck [-dump=false] <file> | boltcheck -write [flags] <file> < ops.jsonl")
		os.Exit(2)
	}
	path := flag.Arg(0)
	if *write {
		if err := runWrite(path, *pageSize, *noFreelistSync, *fill); err != nil {
			fmt.Fprintln(os.Stderr, "boltcheck:", err)
			os.Exit(1)
		}
		return
	}
	status, err := runCheck(path, *dump)
	if err != nil {
		fmt.Fprintln(os.Stderr, "boltcheck:", err)
		os.Exit(1)
	}
	os.Exit(status)
}

type line struct {
	T   string   `json:"t"`
	P   []string `json:"p"`
	K   string   `json:"k,omitempty"`
	V   *string  `json:"v,omitempty"`
	Msg string   `json:"msg,omitempty"`
}

type checker struct {
	out     *bufio.Writer
	dump    bool
	digest  hash.Hash
	buckets int
	keys    int
}

func (c *checker) emit(l line) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if l.T == "b" || l.T == "k" {
		c.digest.Write(b)
		if !c.dump {
			return nil
		}
	}
	_, err = c.out.Write(b)
	return err
}

func runCheck(path string, dump bool) (int, error) {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	c := &checker{out: out, dump: dump, digest: sha256.New()}
	status := 0
	checkErrors := 0
	err = db.View(func(tx *bolt.Tx) error {
		for cerr := range tx.Check() {
			checkErrors++
			if err := c.emit(line{T: "error", Msg: cerr.Error()}); err != nil {
				return err
			}
		}
		if err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return c.walk([]string{hex.EncodeToString(name)}, b)
		}); err != nil {
			return err
		}
		stats := db.Stats()
		info := map[string]any{
			"t": "info", "pageSize": db.Info().PageSize, "txid": tx.ID(), "size": tx.Size(),
			"freePages": stats.FreePageN, "pendingPages": stats.PendingPageN, "checkErrors": checkErrors,
			"buckets": c.buckets, "keys": c.keys, "digest": hex.EncodeToString(c.digest.Sum(nil)),
		}
		b, err := json.Marshal(info)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	})
	if err != nil {
		return 0, err
	}
	if checkErrors > 0 {
		status = 3
	}
	return status, nil
}

// walk emits the bucket at p and then its contents in cursor order.
func (c *checker) walk(p []string, b *bolt.Bucket) error {
	c.buckets++
	if err := c.emit(line{T: "b", P: p}); err != nil {
		return err
	}
	cur := b.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if v == nil {
			child := b.Bucket(k)
			if child == nil {
				return fmt.Errorf("bucket %v: nil value for %x but no sub-bucket", p, k)
			}
			if err := c.walk(append(append([]string{}, p...), hex.EncodeToString(k)), child); err != nil {
				return err
			}
			continue
		}
		c.keys++
		hv := hex.EncodeToString(v)
		if err := c.emit(line{T: "k", P: p, K: hex.EncodeToString(k), V: &hv}); err != nil {
			return err
		}
	}
	return nil
}

type op struct {
	Op string   `json:"op"`
	P  []string `json:"p"`
	K  string   `json:"k"`
	V  string   `json:"v"`
}

func runWrite(path string, pageSize int, noFreelistSync bool, fill float64) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: pageSize, NoFreelistSync: noFreelistSync})
	if err != nil {
		return err
	}
	var tx *bolt.Tx
	fail := func(err error) error {
		if tx != nil {
			_ = tx.Rollback()
		}
		_ = db.Close()
		return err
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for n := 1; ; n++ {
		raw, rerr := in.ReadBytes('\n')
		if len(raw) > 0 && !(len(raw) == 1 && raw[0] == '\n') {
			var o op
			if err := json.Unmarshal(raw, &o); err != nil {
				return fail(fmt.Errorf("line %d: %v", n, err))
			}
			if o.Op == "commit" {
				if tx != nil {
					if err := tx.Commit(); err != nil {
						tx = nil
						return fail(fmt.Errorf("line %d: commit: %v", n, err))
					}
					tx = nil
				}
			} else {
				if tx == nil {
					if tx, err = db.Begin(true); err != nil {
						return fail(err)
					}
				}
				if err := apply(tx, o, fill); err != nil {
					return fail(fmt.Errorf("line %d: %s %v: %v", n, o.Op, o.P, err))
				}
			}
		}
		if rerr == io.EOF {
			break
		} else if rerr != nil {
			return fail(rerr)
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			tx = nil
			return fail(err)
		}
	}
	return db.Close()
}

func apply(tx *bolt.Tx, o op, fill float64) error {
	names := make([][]byte, len(o.P))
	for i, h := range o.P {
		b, err := hex.DecodeString(h)
		if err != nil {
			return err
		}
		names[i] = b
	}
	if len(names) == 0 {
		return errors.New("empty bucket path")
	}
	switch o.Op {
	case "bucket":
		_, err := bucketAt(tx, names, true)
		return err
	case "delbucket":
		if len(names) == 1 {
			return tx.DeleteBucket(names[0])
		}
		parent, err := bucketAt(tx, names[:len(names)-1], false)
		if err != nil {
			return err
		}
		return parent.DeleteBucket(names[len(names)-1])
	case "put", "del":
		b, err := bucketAt(tx, names, false)
		if err != nil {
			return err
		}
		k, err := hex.DecodeString(o.K)
		if err != nil {
			return err
		}
		if o.Op == "del" {
			return b.Delete(k)
		}
		v, err := hex.DecodeString(o.V)
		if err != nil {
			return err
		}
		b.FillPercent = fill
		return b.Put(k, v)
	default:
		return fmt.Errorf("unknown op %q", o.Op)
	}
}

// bucketAt returns the bucket at names, creating missing ones when create is set.
func bucketAt(tx *bolt.Tx, names [][]byte, create bool) (*bolt.Bucket, error) {
	var b *bolt.Bucket
	for i, name := range names {
		var next *bolt.Bucket
		var err error
		switch {
		case create && i == 0:
			next, err = tx.CreateBucketIfNotExists(name)
		case create:
			next, err = b.CreateBucketIfNotExists(name)
		case i == 0:
			next = tx.Bucket(name)
		default:
			next = b.Bucket(name)
		}
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, fmt.Errorf("no bucket %x", name)
		}
		b = next
	}
	return b, nil
}
