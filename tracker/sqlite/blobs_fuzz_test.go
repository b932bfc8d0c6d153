package sqlite

import (
	"reflect"
	"testing"
)

// FuzzDecodeBlob: whatever a file holds, decoding an event blob returns
// entries or errBadBlob, never panics; and what encodeBlob writes decodes
// to the same entries, at every index.
func FuzzDecodeBlob(f *testing.F) {
	f.Add([]byte{}, "ev1", int64(7), int64(1700000000000000), 4, "p1")
	f.Add(encodeBlob([]blobEnt{{id: "a", vid: 1, time: -5, kind: 1, vals: []string{"api", "\x1fL\x1f", "\x1fp\x1f"}}}), "", int64(0), int64(0), 0, "")
	f.Add([]byte{0x02, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, "x", int64(1), int64(1), 7, "a@example.com")
	f.Fuzz(func(t *testing.T, raw []byte, id string, vid, tm int64, kind int, val string) {
		if ents, err := decodeBlob(raw); err == nil {
			// A blob that decodes re-encodes to one that decodes the same.
			again, err := decodeBlob(encodeBlob(ents))
			if err != nil || !reflect.DeepEqual(normal(ents), normal(again)) {
				t.Fatalf("re-encoding changed %v into %v (%v)", ents, again, err)
			}
		}
		if vid < 0 {
			vid = -vid
		}
		want := []blobEnt{
			{id: id, vid: vid, time: tm, kind: kind & 0xff, vals: []string{val}},
			{},
			{id: id + "2", vid: vid, time: -tm, kind: 1, vals: []string{"", val, id}},
		}
		b := encodeBlob(want)
		got, err := decodeBlob(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normal(want), normal(got)) {
			t.Fatalf("got %v, want %v", got, want)
		}
		n, offs, body, err := blobHeader(b)
		if err != nil || n != len(want) {
			t.Fatalf("header: %d, %v", n, err)
		}
		for i := range want {
			e, err := decodeBlobAt(offs, body, i)
			if err != nil || !reflect.DeepEqual(normal([]blobEnt{want[i]}), normal([]blobEnt{e})) {
				t.Fatalf("entry %d: %v, %v", i, e, err)
			}
		}
	})
}

// normal makes empty and nil value lists equal.
func normal(ents []blobEnt) []blobEnt {
	out := make([]blobEnt, len(ents))
	for i, e := range ents {
		if len(e.vals) == 0 {
			e.vals = nil
		}
		out[i] = e
	}
	return out
}
