package hookd

// DeliveryState names a delivery state and says what it means to a user.
type DeliveryState struct {
	Name        string
	Description string
}

// DeliveryStates lists every delivery state in lifecycle order, with its
// meaning. It is the one list the OpenAPI enum, the CLI and the docs'
// table are checked against: a new state is one line here.
func DeliveryStates() []DeliveryState {
	return []DeliveryState{
		{StatusPending, "Not tried yet, or an attempt is in flight."},
		{StatusFailed, "The last attempt failed and a retry is scheduled (next_attempt_at)."},
		{StatusSucceeded, "An attempt got a 2xx answer. Final."},
		{StatusDead, "Every retry failed, or the endpoint was disabled or deleted. Final until retried or recovered."},
		{StatusCancelled, "The endpoint's transform cancelled it: nothing was sent. Final; never counted as a success."},
	}
}
