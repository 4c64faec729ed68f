package protocol

import (
	"context"
	"net/http"
)

// PathEpoch answers the epoch alone. The webapp checks the epoch every
// 30 s to learn whether the gateway lost its database (and with it the
// revocation cutoffs); GET /health answers it too, but with every online
// user, whose list grows with the users.
const PathEpoch = "/epoch"

// EpochResponse answers GET /epoch: the epoch HealthResponse.Epoch also
// carries.
type EpochResponse struct {
	Epoch string `json:"epoch"`
}

// Epoch reads the gateway's epoch. A gateway older than GET /epoch answers
// 404 (IsNotFound): read HealthResponse.Epoch instead.
func (c *Client) Epoch(ctx context.Context) (string, error) {
	var out EpochResponse
	err := c.unix.Do(ctx, http.MethodGet, PathEpoch, nil, &out)
	return out.Epoch, err
}
